/**
 * Git plumbing for one mirrored repository: the cheap look at the upstream heads (`ls-remote`),
 * creating the bare mirror, and `git fetch --prune` followed by reading the mirror's refs.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit, type GitRunOptions } from '../git-runner.js';
import { parseRefList } from './refs.js';
import type { MirrorRepository } from './discovery.js';
import { urlSecrets } from '../../util/url-credentials.js';
import { gitConfigEnv, headerSecrets } from '../git-credentials.js';

export interface GitSettings { gitBin: string; timeoutMs: number; maxOutputBytes: number }

/** The mirror directory of a repository: its name made safe for a path (`org/repo` -> `org__repo.git`). */
export function mirrorPath(mirrorDir: string, name: string): string {
  return join(mirrorDir, `${name.replace(/\//g, '__').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')}.git`);
}

/** Per-repository git config (a forge token header) passed through the environment, never argv. */
function gitOptions(repo: MirrorRepository, s: GitSettings, cwd?: string): GitRunOptions {
  const config = repo.gitConfig ?? {};
  const secrets = [...urlSecrets(repo.url), ...Object.values(config).flatMap(headerSecrets)];
  return { ...s, cwd, env: gitConfigEnv(config, process.env), secrets };
}

export function localGit(path: string, s: GitSettings): GitRunOptions {
  return { ...s, cwd: path };
}

/** The upstream's refs (one cheap round trip, no objects transferred). */
export async function remoteRefs(repo: MirrorRepository, keep: (ref: string) => boolean, s: GitSettings): Promise<Map<string, string>> {
  return parseRefList(await runGit(['ls-remote', '--refs', '--', repo.url], gitOptions(repo, s)), keep);
}

export async function mirrorExists(path: string): Promise<boolean> {
  return stat(join(path, 'HEAD')).then((st) => st.isFile(), () => false);
}

/** Creates the bare mirror with the poller's refspecs (idempotent: the config is rewritten each time). */
export async function initMirror(path: string, repo: MirrorRepository, refspecs: readonly string[], s: GitSettings): Promise<void> {
  await mkdir(path, { recursive: true });
  const g = localGit(path, s);
  await runGit(['init', '--quiet', '--bare'], g);
  await runGit(['config', 'remote.origin.url', repo.url], { ...g, secrets: urlSecrets(repo.url) });
  await runGit(['config', '--unset-all', 'remote.origin.fetch'], g).catch(() => {});
  for (const spec of refspecs) await runGit(['config', '--add', 'remote.origin.fetch', spec], g);
  // Mirrors are never worked in: no reflogs, no automatic gc in the middle of a poll cycle.
  await runGit(['config', 'core.logAllRefUpdates', 'false'], g);
  await runGit(['config', 'gc.auto', '0'], g);
}

/** Fetches with --prune (refs deleted upstream go away) and returns the mirror's refs afterwards. */
export async function fetchMirror(path: string, repo: MirrorRepository, keep: (ref: string) => boolean, s: GitSettings): Promise<Map<string, string>> {
  await runGit(['fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', 'origin'], gitOptions(repo, s, path));
  return localRefs(path, keep, s);
}

export async function localRefs(path: string, keep: (ref: string) => boolean, s: GitSettings): Promise<Map<string, string>> {
  return parseRefList(await runGit(['for-each-ref', '--format=%(objectname) %(refname)'], localGit(path, s)), keep);
}
