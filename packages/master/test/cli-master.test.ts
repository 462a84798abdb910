/**
 * The `mastro` CLI in real subprocesses (the compiled packages/master/dist/cli.js, as users run it):
 * create-master, checkconfig, the daemon life cycle start -> reconfig -> stop, and what every command
 * says about its usage (--help, --version, mistyped options, the exit status scheme).
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
  assert.equal(s.code, 2, 'a missing required option is wrong usage (was 1 before the exit status scheme)');
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

test('--version prints the version of the mastro package', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const r = await mastro('--version');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `mastro ${pkg.version}`);
});

test('COMMAND --help prints the usage, what the command does, its options and the exit status', async () => {
  const commands = ['create-master', 'checkconfig', 'start', 'stop', 'restart', 'reconfig', 'quickstart', 'user', 'sendchange', 'try', 'tryserver'];
  const results = await Promise.all(commands.map((c) => mastro(c, '--help')));
  commands.forEach((c, i) => {
    const r = results[i]!;
    assert.equal(r.code, 0, `${c}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`usage: mastro ${c}`, 'i'), c);
    assert.match(r.stdout, /exit status:\n {2}0 {2}done\n {2}1 {2}failed, or something named does not exist.*\n {2}2 {2}wrong usage/, c);
    assert.ok(r.stdout.split('\n').length > 6, `${c} --help says more than its usage line:\n${r.stdout}`);
  });
  const start = results[commands.indexOf('start')]!.stdout;
  assert.match(start, /--foreground +run in this terminal/);
  assert.match(start, /--timeout SECONDS +how long to wait .*\(default 120\)/);
  const overview = await mastro('--help');
  assert.match(overview.stdout, /exit status:/);
});

test('a mistyped option gets "did you mean", a missing value is said in words; both exit 2', async () => {
  const typo = await mastro('start', '--forground', join(tmp, 'm1'));
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^mastro start: unknown option --forground; did you mean --foreground\?/);
  assert.doesNotMatch(typo.stderr, /To specify a positional argument/, "Node's own parser text");
  const value = await mastro('stop', join(tmp, 'm1'), '--timeout');
  assert.equal(value.code, 2);
  assert.match(value.stderr, /^mastro stop: --timeout needs a value\nusage: mastro stop DIR/);
  const send = await mastro('sendchange', '-m', 'localhost:1', '--who', 'me', '--branc', 'main');
  assert.equal(send.code, 2);
  assert.match(send.stderr, /unknown option --branc; did you mean --branch\?/);
  const cmd = await mastro('strat');
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /unknown command 'strat'; did you mean 'start'\?/);
});

test('every command naming a master directory exits 1 with the same words when it does not exist, 2 when it is not given', async () => {
  const missing = join(tmp, 'no-such-dir');
  for (const c of ['start', 'stop', 'restart', 'reconfig']) {
    const r = await mastro(c, missing);
    assert.equal(r.code, 1, `${c}: ${r.stderr}`);
    assert.equal(r.stderr, `mastro ${c}: ${missing} does not exist, so it is not a master directory; create one with 'mastro create-master ${missing}'\n`);
    const none = await mastro(c);
    assert.equal(none.code, 2, c);
    assert.match(none.stderr, new RegExp(`^mastro ${c}: ${c} needs a master directory\nusage: mastro ${c} DIR`));
  }
  const check = await mastro('checkconfig', missing);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /no-such-dir does not exist/);
  const user = await mastro('user', 'list', missing);
  assert.equal(user.code, 1);
});

test('checkconfig takes a config file too, as buildbot checkconfig master.cfg does', async () => {
  const dir = join(tmp, 'by-file');
  await mastro('create-master', dir);
  const ts = await mastro('checkconfig', join(dir, 'master.config.ts'));
  assert.equal(ts.code, 0, ts.stderr);
  assert.match(ts.stdout, /master\.config\.ts is good: 1 worker\(s\)/);
  writeFileSync(join(dir, 'staging.yaml'), 'workers: [{ name: w0, password: p }]\nbuilders: [{ name: b, workerNames: [w9], steps: [] }]\n');
  const yaml = await mastro('checkconfig', join(dir, 'staging.yaml'));
  assert.equal(yaml.code, 1);
  assert.match(yaml.stderr, /staging\.yaml: 1 error:\n {2}line 2: builders\[0\]\.workerNames\[0\]: no worker named "w9"/);
  writeFileSync(join(dir, 'master.cfg'), 'c = BuildmasterConfig = {}\n');
  const cfg = await mastro('checkconfig', join(dir, 'master.cfg'));
  assert.equal(cfg.code, 1);
  assert.match(cfg.stderr, /master\.cfg looks like a Buildbot \(Python\) config; mastro reads master\.config\.ts, \.js or \.yaml/);
});
