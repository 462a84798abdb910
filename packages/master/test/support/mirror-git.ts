/** Helpers for mirror-poller tests: real git repositories in a temp dir, and an in-memory updates API. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddChangeInput } from '../../src/data/updates-api.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Ada Author', GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_COMMITTER_NAME: 'Cy Committer', GIT_COMMITTER_EMAIL: 'cy@example.org',
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A bare upstream and a working clone of it with one commit on `main` pushed. */
export function upstreamWithClone(root: string, name: string): { bare: string; work: string } {
  const bare = join(root, `${name}.git`);
  const work = join(root, `${name}-work`);
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(root, 'init', '--quiet', '--initial-branch=main', work);
  git(work, 'remote', 'add', 'origin', bare);
  commitFile(work, 'README', 'hello\n', 'initial commit');
  git(work, 'push', '--quiet', 'origin', 'main');
  return { bare, work };
}

export function commitFile(work: string, file: string, content: string, message: string): string {
  mkdirSync(dirname(join(work, file)), { recursive: true });
  writeFileSync(join(work, file), content);
  git(work, 'add', file);
  git(work, 'commit', '--quiet', '-m', message);
  return git(work, 'rev-parse', 'HEAD');
}

/** The updates API slice the poller uses, recording changes and keeping state in memory. */
export function memoryUpdates() {
  const state = new Map<string, unknown>();
  const changes: AddChangeInput[] = [];
  return {
    changes,
    state,
    updates: {
      async addChange(c: AddChangeInput) { changes.push(c); return changes.length; },
      async getState(o: string, cls: string, key: string, dflt?: unknown) { const k = `${o}/${cls}/${key}`; return state.has(k) ? structuredClone(state.get(k)) : dflt; },
      async setState(o: string, cls: string, key: string, value: unknown) { state.set(`${o}/${cls}/${key}`, structuredClone(value)); },
    },
  };
}
