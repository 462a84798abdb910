/**
 * Builder directories on a worker, prepared as Buildbot's msgpack master does on attach and on
 * reconfig: `listdir` the basedir, optionally remove leftover directories (when the worker was
 * started with delete_leftover_dirs), then `mkdir` the builder directories that are missing
 * (plus `info`).
 */
import type { ConnectedWorker } from './connected-worker.js';
import type { CommandResult } from './types.js';
import { defaultBuilddir, joinWorkerPath } from './worker-paths.js';

/** A builder a worker serves; `builddir` defaults to the builder name made filesystem-safe. */
export type BuilderSpec = string | { name: string; builddir?: string };

export function normaliseBuilders(builders: readonly BuilderSpec[]): { name: string; builddir: string }[] {
  return builders.map((b) => (typeof b === 'string'
    ? { name: b, builddir: defaultBuilddir(b) }
    : { name: b.name, builddir: b.builddir ?? defaultBuilddir(b.name) }));
}

async function run(worker: ConnectedWorker, command: string, args: Record<string, unknown>, what: string): Promise<CommandResult> {
  const result = await worker.startCommand('', command, args).result;
  if (result.failure || result.rc !== 0) {
    const why = result.failure?.message ?? `rc ${String(result.rc)}`;
    throw new Error(`worker ${worker.name} could not ${what} (${why}); check the worker's basedir permissions`);
  }
  return result;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export async function prepareBuilderDirs(worker: ConnectedWorker, builders: readonly BuilderSpec[]): Promise<void> {
  const list = normaliseBuilders(builders);
  const basedir = worker.info.basedir;
  if (typeof basedir !== 'string' || basedir === '') {
    throw new Error(`worker ${worker.name} did not report its basedir in get_worker_info; it cannot run builds`);
  }
  const flavour = worker.pathFlavour;
  worker.setBuilderBasedirs(new Map(list.map((b) => [b.name, joinWorkerPath(flavour, basedir, b.builddir)])));

  const wanted = new Set(list.map((b) => b.builddir));
  wanted.add('info');
  const listing = await run(worker, 'listdir', { path: basedir }, 'list its basedir');
  const files = Array.isArray(listing.updates.files) ? (listing.updates.files as unknown[]).map(String) : [];
  const missing = new Set(wanted);
  for (const f of files) missing.delete(f);

  if (worker.info.delete_leftover_dirs) {
    const leftovers: string[] = [];
    for (const f of files) {
      if (wanted.has(f)) continue;
      const path = joinWorkerPath(flavour, basedir, f);
      const st = await run(worker, 'stat', { path }, `stat ${path}`);
      const mode = Array.isArray(st.updates.stat) ? Number(st.updates.stat[0]) : 0;
      if ((mode & S_IFMT) === S_IFDIR) leftovers.push(path);
    }
    if (leftovers.length) await run(worker, 'rmdir', { paths: leftovers }, 'remove leftover builder directories');
  }

  const paths = [...missing].sort().map((d) => joinWorkerPath(flavour, basedir, d));
  if (paths.length) await run(worker, 'mkdir', { paths }, 'create its builder directories');
}
