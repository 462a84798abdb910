/**
 * The push path for end-to-end tests: a real master whose builder 'proj' checks out what is pushed
 * (scheduler 'pushes', project 'proj'), a worker, a bare repository with contrib/post-receive
 * installed and pointed at the master, and a clone to commit and push from. Also runs the compiled
 * `mastro sendchange` against that master.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, type MasterProcess, type TestEnv } from './master-harness.js';
import { checkoutBuilder } from './change-e2e.js';
import type { WwwOptions } from '../../packages/master/src/index.js';

const HOOK = join(ROOT, 'contrib/post-receive');
const MASTRO_CLI = join(ROOT, 'packages/master/dist/cli.js');
/** Fixed author and committer (the tests check them on the Changes); no user or system git config. */
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Cy', GIT_COMMITTER_EMAIL: 'cy@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export interface PushSetup {
  readonly master: MasterProcess;
  /** The bare repository the hook is installed in (also the Changes' repository). */
  readonly bare: string;
  /** A clone of `bare` on branch main. */
  readonly work: string;
  git(cwd: string, ...args: string[]): string;
  /** Writes `text` to `file` in the clone and commits it; returns the new revision. */
  commit(file: string, text: string, message?: string): string;
  /** `git push --porcelain origin ...refspecs`; returns the hook's messages ("remote: ..." lines), throws when the push fails. */
  push(...refspecs: string[]): string;
}

const gitIn = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/**
 * Starts the master (with the given `www` option, e.g. `{ port: 0, changeHooks: { base: {} } }`)
 * and the worker, then installs the hook and clones. The bare repository is `<env.root>/proj.git`.
 */
export async function startPushSetup(env: TestEnv, www: WwwOptions): Promise<PushSetup> {
  const bare = join(env.root, 'proj.git');
  gitIn(env.root, 'init', '-q', '--bare', '--initial-branch=main', bare);
  env.writeConfig({ www, bare }, (m, v) => m.defineConfig({
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0 } },
    www: v.www,
    workers: [m.worker('w0', 'pass')],
    schedulers: [m.schedulers.anyBranch({ name: 'pushes', builderNames: ['proj'], changeFilter: { project: 'proj' } })],
    builders: [checkoutBuilder(m, 'proj', v.bare)],
  }), { checkoutBuilder });
  const master = await env.startMaster();
  env.startWorker('w0', master.ready.workerPort);
  copyFileSync(HOOK, join(bare, 'hooks', 'post-receive'));
  chmodSync(join(bare, 'hooks', 'post-receive'), 0o755);
  gitIn(bare, 'config', 'hooks.mastro.master', `127.0.0.1:${master.ready.httpPort}`);
  gitIn(bare, 'config', 'hooks.mastro.project', 'proj');
  const work = join(env.root, 'work');
  gitIn(env.root, 'clone', '-q', bare, work);
  gitIn(work, 'checkout', '-q', '-b', 'main');
  return {
    master, bare, work, git: gitIn,
    commit(file, text, message = `${file}: ${text.trim()}`) {
      writeFileSync(join(work, file), text);
      gitIn(work, 'add', file);
      gitIn(work, 'commit', '-q', '-m', message);
      return gitIn(work, 'rev-parse', 'HEAD');
    },
    push(...refspecs) {
      // The hook's output reaches the pusher on stderr.
      const r = spawnSync('git', ['push', '--porcelain', 'origin', ...refspecs], { cwd: work, env: GIT_ENV, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git push ${refspecs.join(' ')} failed (${r.status}): ${r.stderr}`);
      return r.stderr;
    },
  };
}

/** Runs the compiled `mastro sendchange --master 127.0.0.1:<httpPort> ...args`; never throws on a non-zero exit. */
export function sendchange(env: TestEnv, master: MasterProcess, args: string[]): Promise<{ code: number; out: string }> {
  return promisify(execFile)(process.execPath, [MASTRO_CLI, 'sendchange', '--master', `127.0.0.1:${master.ready.httpPort}`, ...args], { cwd: env.root })
    .then((r) => ({ code: 0, out: r.stdout + r.stderr }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }));
}
