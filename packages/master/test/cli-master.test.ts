/**
 * The `mastro` CLI in real subprocesses (the compiled packages/master/dist/cli.js, as users run it):
 * create-master, checkconfig, and the daemon life cycle start -> reconfig -> stop.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { mastro, MASTRO_CLI as CLI } from './support/mastro-cli.js';
import { writeConfig } from '../../../test/support/config.js';
const tmp = mkdtempSync(join(tmpdir(), 'mastro-cli-'));
const started: string[] = [];
after(async () => {
  for (const dir of started) await mastro('stop', dir, '--timeout', '30');
  rmSync(tmp, { recursive: true, force: true });
});

test('the CLI is built', () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run 'npm run build' first`);
});

test('create-master writes a sample config that checkconfig accepts, and never overwrites it', async () => {
  const dir = join(tmp, 'm1');
  const r = await mastro('create-master', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /created .*master\.config\.ts/);
  const text = readFileSync(join(dir, 'master.config.ts'), 'utf8');
  assert.match(text, /import \{ defineConfig, worker, builder, steps, schedulers, changes, util \} from 'mastro';/);
  const check = await mastro('checkconfig', dir);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /is good: 1 worker\(s\), 1 builder\(s\), 1 scheduler\(s\), 0 change source\(s\)/);
  const again = await mastro('create-master', dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; create-master never overwrites a config/);
  assert.equal(readFileSync(join(dir, 'master.config.ts'), 'utf8'), text);
});

test('checkconfig prints every mistake with its path and exits 1', async () => {
  const dir = join(tmp, 'm2');
  await mastro('create-master', dir);
  writeConfig(dir, {}, (m) => m.defineConfig({
    protocols: { msgpack: { port: 99999 } },
    workers: [m.worker('w0', 'p')],
    builders: [m.builder({ name: 'b', workerNames: ['w9'], steps: [] })],
    schedulers: [m.schedulers.force({ name: 'f', builderNames: ['nope'] })],
  }));
  const r = await mastro('checkconfig', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /3 errors:/);
  assert.match(r.stderr, /protocols\.msgpack\.port: must be at most 65535, got 99999/);
  assert.match(r.stderr, /builders\[0\]\.workerNames\[0\]: no worker named "w9"; workers are: w0/);
  assert.match(r.stderr, /schedulers\[0\]\.builderNames\[0\]: no builder named "nope"; builders are: b/);
});

test('unknown commands, usage mistakes and planned commands say what is wrong', async () => {
  const u = await mastro('frobnicate');
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown command 'frobnicate'/);
  const m = await mastro('checkconfig');
  assert.equal(m.code, 2);
  assert.match(m.stderr, /checkconfig needs a master directory\nusage: mastro checkconfig DIR/);
  const s = await mastro('sendchange', '--who', 'me');
  assert.equal(s.code, 1);
  assert.match(s.stderr, /--master is required/);
});

test('start runs a daemon that reconfig and stop control', async () => {
  const dir = join(tmp, 'm3');
  await mastro('create-master', dir);
  const file = join(dir, 'master.config.ts');
  // Port 0: free ports, so the test never collides with a real master on 8010/9989.
  writeFileSync(file, readFileSync(file, 'utf8').replace('port: 9989', 'port: 0').replace('port: 8010', 'port: 0'));
  const s = await mastro('start', dir);
  assert.equal(s.code, 0, s.stderr + s.stdout);
  started.push(dir);
  const pid = Number(readFileSync(join(dir, 'mastro.pid'), 'utf8'));
  assert.match(s.stdout, new RegExp(`master running \\(pid ${pid}\\)`));
  const httpPort = Number(/http:\/\/localhost:(\d+)\//.exec(s.stdout)![1]);
  const builders = await (await fetch(`http://127.0.0.1:${httpPort}/api/v2/builders`)).json() as { builders: { name: string }[] };
  assert.deepEqual(builders.builders.map((b) => b.name), ['demo']);

  const second = await mastro('start', dir);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /already running/);

  writeFileSync(file, readFileSync(file, 'utf8').replace("name: 'demo'", "name: 'demo2'").replaceAll("builderNames: ['demo']", "builderNames: ['demo2']"));
  const ok = await mastro('reconfig', dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /reconfig applied/);

  writeFileSync(file, readFileSync(file, 'utf8').replaceAll("builderNames: ['demo2']", "builderNames: ['ghost']"));
  const bad = await mastro('reconfig', dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /schedulers\[0\]\.builderNames\[0\]: no builder named "ghost"; builders are: demo2/);
  assert.match(bad.stderr, /keeps its current config/);

  const stop = await mastro('stop', dir, '--timeout', '60');
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /master stopped/);
  started.pop();
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
  assert.throws(() => process.kill(pid, 0));
  const again = await mastro('stop', dir);
  assert.match(again.stdout, /no master is running/);
});

test('start reports a broken config instead of leaving a dead daemon', async () => {
  const dir = join(tmp, 'm4');
  await mastro('create-master', dir);
  writeConfig(dir, {}, (m) => m.defineConfig({ workers: [{ name: 'x' } as any] }));
  const r = await mastro('start', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the master did not start: the config has 1 error\(s\):\n {2}workers\[0\]\.password: is required/);
  assert.equal(existsSync(join(dir, 'mastro.pid')), false);
});
