/**
 * `mastro quickstart [DIR] [--http-port P] [--worker-port P]`: a complete local demo. Creates a
 * sample git repository, a master directory (SQLite, default ports 8010/9989) and a local mastro
 * worker, starts both, forces a first build through the force scheduler, prints where to see it
 * and how to log in (user `admin`, role admin, with a random password printed once), and keeps
 * serving until Ctrl-C, then stops everything it started.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { DEFAULTS } from '../config/defaults.js';
import type { BuildResource } from '../data/types.js';
import { resultName } from '../model/results.js';
import { CliError, parse, println, type Io } from './io.js';
import { createMasterDir } from './create-master.js';
import { describeListenError } from './listen-errors.js';
import { UsersStore } from '../www/auth/users-store.js';
import { workerCli } from '../util/worker-cli.js';

const WORKER_NAME = 'local-worker';
/** The demo's web UI user, role admin (may force, stop, rebuild). */
const ADMIN_USER = 'admin';

function git(cwd: string, args: string[]): void {
  execFileSync('git', args, {
    cwd, stdio: 'ignore',
    env: { ...process.env, GIT_AUTHOR_NAME: 'mastro quickstart', GIT_AUTHOR_EMAIL: 'quickstart@mastro.invalid', GIT_COMMITTER_NAME: 'mastro quickstart', GIT_COMMITTER_EMAIL: 'quickstart@mastro.invalid' },
  });
}

/** A small repository whose test script the demo build runs. */
export function createSampleRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'README.md'), '# mastro quickstart sample\n\nCommit here and the master builds it (it polls every 10 s).\n');
  writeFileSync(join(dir, 'test.sh'), '#!/bin/sh\nset -e\necho "running the sample tests"\ntest -f README.md\necho "all tests passed"\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'sample project for mastro quickstart']);
  return pathToFileURL(dir).href;
}

function port(value: string | boolean | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--${name} must be a port number, got ${JSON.stringify(value)}`, 2);
  return n;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { 'http-port': { type: 'string' }, 'worker-port': { type: 'string' } }, 1);
  const httpPort = port(values['http-port'], DEFAULTS.httpPort, 'http-port');
  const workerPort = port(values['worker-port'], DEFAULTS.workerPort, 'worker-port');
  const base = positionals[0] ? resolve(positionals[0]) : mkdtempSync(join(tmpdir(), 'mastro-quickstart-'));
  const masterDir = join(base, 'master');
  const workerDir = join(base, 'worker');
  if (existsSync(masterDir)) throw new CliError(`${masterDir} already exists; give quickstart a new directory (or none for a temporary one)`);

  println(io.stdout, `mastro quickstart in ${base}`);
  const repoUrl = createSampleRepo(join(base, 'repo'));
  println(io.stdout, `  sample repository: ${repoUrl}`);
  const password = randomBytes(12).toString('base64url');
  createMasterDir(masterDir, { title: 'mastro quickstart', repoUrl, workerName: WORKER_NAME, workerPassword: password, httpPort, workerPort });
  println(io.stdout, `  master directory:  ${masterDir}`);
  // Forcing a build, stopping and rebuilding need a login (deny by default): an admin for the demo.
  const adminPassword = randomBytes(12).toString('base64url');
  await new UsersStore(masterDir).add(ADMIN_USER, adminPassword, ['admin']);

  const { startMaster } = await import('../master.js');
  const logger = pino({ level: process.env.MASTRO_LOG_LEVEL ?? 'info' }, createWriteStream(join(masterDir, 'mastro.log'), { flags: 'a' }));
  let master: Awaited<ReturnType<typeof startMaster>>;
  try {
    master = await startMaster(masterDir, { logger, handleSignals: false });
  } catch (err) {
    // startMaster has closed everything it had opened: returning lets this process exit.
    const listen = await describeListenError(err, masterDir);
    if (listen) throw new CliError(`the master did not start: ${listen}; for the demo, pass --http-port PORT or --worker-port PORT (0 = any free port)`);
    throw new CliError(`the master did not start: ${(err as Error).message}`);
  }
  println(io.stdout, `  master listening:  http://localhost:${master.httpPort}/ (workers on port ${master.workerPort})`);
  println(io.stdout, '');
  println(io.stdout, `  To force builds in the web UI, log in as ${ADMIN_USER} with the one-time password ${adminPassword}`);
  println(io.stdout, '  (shown only now; it is stored hashed. Choose your own with:');
  println(io.stdout, `   mastro user add ${masterDir} ${ADMIN_USER} --roles admin)`);
  println(io.stdout, '');

  let worker: ChildProcess | null = null;
  const shutdown = async () => {
    println(io.stdout, '\nstopping the worker and the master...');
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await master.stop({ graceMs: 10_000 });
    println(io.stdout, `stopped; everything is kept in ${base}`);
  };

  try {
    const cli = workerCli();
    if (!existsSync(cli)) throw new CliError(`the mastro worker is not built (${cli} is missing); run 'npm run build' first`);
    execFileSync(process.execPath, [cli, 'create-worker', workerDir, `localhost:${master.workerPort}`, WORKER_NAME, password], { stdio: 'ignore' });
    const attached = new Promise<void>((r) => master.workers.once('attached', () => r()));
    const logFd = openSync(join(workerDir, 'worker.log'), 'a');
    worker = spawn(process.execPath, [cli, 'start', workerDir, '--foreground'], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const workerFailed = new Promise<never>((_r, reject) => worker!.once('exit', (code) => reject(new CliError(`the worker exited (code ${code}); see ${join(workerDir, 'worker.log')}`))));
    await Promise.race([attached, workerFailed]);
    println(io.stdout, `  worker attached:   ${WORKER_NAME} (${workerDir})`);

    const started = new Promise<BuildResource>((r) => { const off = master.mq.subscribe<BuildResource>(['builds', null, 'new'], (_k, b) => { off(); r(b); }); });
    const force = master.schedulerInstances().find((s): s is { name: string; force(req: unknown): Promise<{ bsid: number }> } => (s as { name?: string })?.name === 'force' && typeof (s as { force?: unknown }).force === 'function');
    if (!force) throw new CliError('the quickstart config has no force scheduler named "force"');
    await force.force({ owner: 'quickstart', params: { reason: 'first build from mastro quickstart' } });
    const build = await Promise.race([started, workerFailed]);
    const apiUrl = `http://localhost:${master.httpPort}/api/v2/builds/${build.buildid}`;
    println(io.stdout, `  first build started: ${apiUrl}`);
    println(io.stdout, `                       http://localhost:${master.httpPort}/#/builders/${build.builderid}/builds/${build.number}`);
    const finished = new Promise<BuildResource>((r) => { const off = master.mq.subscribe<BuildResource>(['builds', String(build.buildid), 'finished'], (_k, b) => { off(); r(b); }); });
    const done = await Promise.race([finished, workerFailed]);
    println(io.stdout, `  first build finished: ${resultName(done.results)}`);
    println(io.stdout, '');
    println(io.stdout, `Commit to ${join(base, 'repo')} to trigger builds. Press Ctrl-C to stop.`);
  } catch (err) {
    await shutdown();
    throw err;
  }

  return new Promise<number>((resolveExit) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
      shutdown().then(() => resolveExit(0), (err) => { println(io.stderr, `stop failed: ${(err as Error).message}`); resolveExit(1); });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    worker?.once('exit', (code) => { if (code !== 0 && code !== null) println(io.stderr, `the worker exited (code ${code}); see ${join(workerDir, 'worker.log')}`); });
  });
}
