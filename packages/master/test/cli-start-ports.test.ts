/**
 * `mastro start` when a port of the config is taken: the message names the port, the config option
 * that sets it and the file, and the command exits 1 without a stack trace. A failed start closes
 * everything it had opened (change sources that were already polling included) and exits: nothing
 * is left running in the background.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MASTRO_CLI as CLI, mastro } from './support/mastro-cli.js';
import { processesWith } from '../../../test/support/process-tree.js';
import { writeConfig } from '../../../test/support/config.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-ports-'));
const servers: Server[] = [];
after(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(tmp, { recursive: true, force: true });
});

/** A port held by another program (listening on all interfaces, as the master would). */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, resolve); });
  return (server.address() as { port: number }).port;
}

function masterDir(name: string, workerPort: number, httpPort: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeConfig(dir, { workerPort, httpPort }, (m, v) => m.defineConfig({ protocols: { msgpack: { port: v.workerPort } }, www: { port: v.httpPort, host: '127.0.0.1' } }));
  return dir;
}

/** Runs `start DIR --foreground` to its end; after `limitMs` the process is killed and the promise rejects. */
function startForeground(dir: string, limitMs = 300_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`start --foreground did not exit within ${limitMs} ms:\n${stderr}`)); }, limitMs);
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

test('a taken worker port is reported with protocols.msgpack.port and the config file', async () => {
  const port = await takenPort();
  const dir = masterDir('workers', port, 0);
  const r = await startForeground(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`the worker port ${port} is already in use by another program`));
  assert.match(r.stderr, new RegExp(`choose another port with protocols\\.msgpack\\.port in ${join(dir, 'master.config.ts').replace(/[.]/g, '\\.')}`));
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
});

test('a taken web port is reported with www.port', async () => {
  const port = await takenPort();
  const dir = masterDir('www', 0, port);
  const r = await startForeground(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`the web UI/API port ${port} is already in use .*lsof -i :${port}\\) or choose another port with www\\.port in `));
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
});

test('a taken PB port of its own is reported with protocols.pb.port', async () => {
  const port = await takenPort();
  const dir = join(tmp, 'pb');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.ts'), `import { defineConfig } from 'mastro';
export default defineConfig({ protocols: { msgpack: { port: 0 }, pb: { port: ${port} } }, www: null });
`);
  const r = await startForeground(dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`the PB worker port ${port} is already in use .*or choose another port with protocols\\.pb\\.port in `));
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
});

/** A git repository with one commit, for a master that polls it. */
function sampleRepo(name: string): string {
  const repo = join(tmp, name);
  mkdirSync(repo);
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env });
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'first'], { cwd: repo, env });
  return pathToFileURL(repo).href;
}

/** A master whose web port is taken and that polls a git repository every second (its poller starts before the web server). */
function pollingMasterDir(name: string, httpPort: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.ts'), `import { defineConfig, changes } from 'mastro';
export default defineConfig({
  protocols: { msgpack: { port: 0 } },
  www: { port: ${httpPort}, host: '127.0.0.1' },
  changeSources: [changes.gitPoller({ repourl: ${JSON.stringify(sampleRepo(`${name}-repo`))}, branches: ['main'], pollInterval: 1, pollAtLaunch: true })],
});
`);
  return dir;
}

/** The masters of `dir` still running (`start DIR --foreground` processes); killed, so a failed test leaves none behind. */
function leftoverMasters(dir: string): number[] {
  const pids = processesWith('start', dir, '--foreground');
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  return pids;
}

test('a master that cannot open its web port stops its change sources and exits 1 (in the foreground)', async () => {
  const port = await takenPort();
  const dir = pollingMasterDir('fg-poller', port);
  // Bounded: before the fix the process kept polling forever; the bound turns a hang into a failure.
  const r = await startForeground(dir, 120_000);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`the web UI/API port ${port} is already in use`));
  assert.deepEqual(leftoverMasters(dir), []);
});

test('a failed background start leaves no master running: no process, no pid file, exit 1', async () => {
  const port = await takenPort();
  const dir = pollingMasterDir('bg-poller', port);
  const r = await mastro('start', dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`the master did not start: the web UI/API port ${port} is already in use`));
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
  assert.deepEqual(leftoverMasters(dir), [], 'the background master kept running after reporting that it did not start');
});
