/**
 * `mastro start` when a port of the config is taken: the message names the port, the config option
 * that sets it and the file, and the command exits 1 without a stack trace.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeConfig } from '../../../test/support/config.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
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

function startForeground(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
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
