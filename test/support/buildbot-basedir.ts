// Fills a throwaway Buildbot master's basedir with its static files. Used by the interop test's
// master (test/support/buildbot-master.ts) and the benchmark's (bench/support/buildbot.ts).
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Holds loopback_control.py, the control-service base every fixture master's control module imports. */
const buildbotCommonDir = new URL('../fixtures/buildbot-common/', import.meta.url).pathname;

/**
 * Copies `files` from `fromDir` into `basedir`, plus the shared loopback_control.py. Buildbot adds
 * the basedir to sys.path while it loads master.cfg, so `from loopback_control import ...` in the
 * control module resolves there.
 */
export function copyMasterFiles(fromDir: string, files: string[], basedir: string): void {
  const sources = [...files.map((f) => join(fromDir, f)), join(buildbotCommonDir, 'loopback_control.py')];
  for (const source of sources) copyFileSync(source, join(basedir, basename(source)));
}
