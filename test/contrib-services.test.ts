/**
 * The service definitions in contrib/ (systemd units for Linux, a launchd job for macOS) and the
 * README's Windows service commands: each is checked by the tool its platform would use where one
 * runs here (Debian's systemd-analyze; Python's plistlib as a plutil-free plist parser), and the
 * command each one runs is run for real: a mastro-worker started that way attaches to a master's
 * worker server and stops gracefully on the signal the service manager sends (SIGTERM).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, WORKER_CLI } from './support/master-harness.js';
import { startHarness, type Harness } from '../packages/master/test/support/workers-harness.js';

const INSTALLED_BIN = '/usr/local/bin/mastro-worker';
const CHECKOUT_BIN = join(ROOT, 'packages/worker/bin/mastro-worker.js');
const unit = (name: string) => readFileSync(join(ROOT, 'contrib/systemd', name), 'utf8');

/** `Key=value` lines of a unit's [Service] section (the last one wins, as in systemd). */
function serviceKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { section = header[1]!; continue; }
    const eq = line.indexOf('=');
    if (section === 'Service' && eq > 0) keys.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return keys;
}

/** Runs `argv` (a service's command, `mastro-worker ...` with the worker dir replaced) until the worker attaches, then stops it with SIGTERM. */
async function runsAndStopsGracefully(h: Harness, argv: string[]): Promise<void> {
  assert.equal(argv[0], INSTALLED_BIN, 'the service runs the installed mastro-worker command');
  const child = spawn(process.execPath, [WORKER_CLI, ...argv.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await Promise.race([h.nextAttached('svc'), exited.then((code) => { throw new Error(`the worker exited (${code}) before attaching:\n${output}`); })]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /SIGTERM received: finishing running commands, then exiting/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('service definitions for running mastro-worker', { timeout: 120_000 }, () => {
  let h: Harness;
  let tmp: string;
  let workerDir: string;

  before(async () => {
    h = await startHarness({ workers: [{ name: 'svc', password: 'svc-pw' }] });
    tmp = mkdtempSync(join(tmpdir(), 'mastro-contrib-'));
    workerDir = join(tmp, 'svc');
    execFileSync(process.execPath, [WORKER_CLI, 'create-worker', workerDir, h.url, 'svc', 'svc-pw']);
  });

  after(async () => {
    await h.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the systemd unit and template pass systemd-analyze verify without a warning', () => {
    for (const [file, instance] of [['mastro-worker.service', 'mastro-worker.service'], ['mastro-worker@.service', 'mastro-worker@w1.service']] as const) {
      // verify checks that ExecStart's program exists: point it at this checkout's command.
      const copy = join(tmp, instance);
      writeFileSync(copy, unit(file).replaceAll(INSTALLED_BIN, CHECKOUT_BIN));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      assert.equal(r.error, undefined, 'systemd-analyze is missing: apt-get install systemd (.ci/run installs it)');
      assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${file}: systemd-analyze warned`);
    }
  });

  it('both units stop the worker alone with SIGTERM and give running builds time to finish', () => {
    for (const file of ['mastro-worker.service', 'mastro-worker@.service']) {
      const keys = serviceKeys(unit(file));
      assert.equal(keys.get('Type'), 'simple', file);
      assert.equal(keys.get('KillMode'), 'mixed', `${file}: the default control-group mode would signal every build command too`);
      assert.equal(keys.get('KillSignal'), 'SIGTERM', file);
      assert.match(keys.get('TimeoutStopSec') ?? '', /^\d+min$/, file);
      assert.equal(keys.get('Restart'), 'on-failure', file);
    }
  });

  it('the unit\'s ExecStart is a mastro-worker command line that attaches in the foreground and stops on SIGTERM', async () => {
    const keys = serviceKeys(unit('mastro-worker.service'));
    const argv = keys.get('ExecStart')!.split(/\s+/);
    assert.deepEqual(argv, [INSTALLED_BIN, 'start', keys.get('WorkingDirectory'), '--foreground']);
    await runsAndStopsGracefully(h, argv.map((a) => (a === keys.get('WorkingDirectory') ? workerDir : a)));
  });

  it('the template runs one worker per instance, its directory named by the instance', async () => {
    const keys = serviceKeys(unit('mastro-worker@.service'));
    assert.equal(keys.get('WorkingDirectory'), '/var/lib/mastro-worker/%i');
    const argv = keys.get('ExecStart')!.split(/\s+/);
    assert.deepEqual(argv, [INSTALLED_BIN, 'start', '/var/lib/mastro-worker/%i', '--foreground']);
    await runsAndStopsGracefully(h, argv.map((a) => a.replace('/var/lib/mastro-worker/%i', workerDir)));
  });

  it('the launchd plist is a well-formed property list whose ProgramArguments run the worker in the foreground', async () => {
    const plistFile = join(ROOT, 'contrib/launchd/org.mastro.worker.plist');
    // Python's plistlib parses the XML strictly (no plutil here); Debian's python3 comes with buildbot.
    const parsed = spawnSync('/usr/bin/python3', ['-c', 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))', plistFile], { encoding: 'utf8' });
    assert.equal(parsed.status, 0, parsed.stderr);
    const plist = JSON.parse(parsed.stdout);
    assert.equal(plist.Label, 'org.mastro.worker');
    assert.deepEqual(plist.ProgramArguments, [INSTALLED_BIN, 'start', plist.WorkingDirectory, '--foreground']);
    assert.deepEqual(plist.KeepAlive, { SuccessfulExit: false });
    assert.ok(plist.ExitTimeOut >= 600, 'launchd waits ExitTimeOut after SIGTERM before SIGKILL: room for running builds');
    assert.match(plist.EnvironmentVariables.PATH, /\/opt\/homebrew\/bin:\/usr\/local\/bin/);
    // A copy with a broken tag is refused by the same parser: the check is real.
    const broken = join(tmp, 'broken.plist');
    copyFileSync(plistFile, broken);
    writeFileSync(broken, readFileSync(broken, 'utf8').replace('</array>', ''));
    assert.notEqual(spawnSync('/usr/bin/python3', ['-c', 'import plistlib, sys; plistlib.load(open(sys.argv[1], "rb"))', broken]).status, 0);
    await runsAndStopsGracefully(h, plist.ProgramArguments.map((a: string) => (a === plist.WorkingDirectory ? workerDir : a)));
  });

  it('the README\'s Windows service commands run the same foreground command line through NSSM', () => {
    const readme = readFileSync(join(ROOT, 'packages/worker/README.md'), 'utf8');
    const install = /^nssm install mastro-worker (.+)$/m.exec(readme);
    assert.ok(install, 'the README has an nssm install line');
    assert.match(install[1]!, /^"C:\\Program Files\\nodejs\\node\.exe" "[^"]+\\mastro-worker\\bin\\mastro-worker\.js" start C:\\mastro-worker --foreground$/);
    assert.match(readme, /^nssm set mastro-worker AppStopMethodConsole \d+$/m, 'the console stop (Ctrl+C, a graceful stop) gets a timeout');
    assert.match(readme, /^nssm set mastro-worker AppExit Default Restart$/m);
  });
});

describe('the systemd unit for running a mastro master', { timeout: 180_000 }, () => {
  const MASTER_BIN = '/usr/local/bin/mastro';
  const MASTER_CHECKOUT_BIN = join(ROOT, 'packages/master/bin/mastro.js');
  let tmp: string;

  before(() => { tmp = mkdtempSync(join(tmpdir(), 'mastro-contrib-master-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('passes systemd-analyze verify without a warning', () => {
    const copy = join(tmp, 'mastro.service');
    writeFileSync(copy, unit('mastro.service').replaceAll(MASTER_BIN, MASTER_CHECKOUT_BIN));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'systemd-analyze is missing: apt-get install systemd (.ci/run installs it)');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'systemd-analyze warned');
  });

  it('stops the master alone with SIGTERM, gives running builds longer than stopGracePeriod, and reloads with SIGHUP', () => {
    const keys = serviceKeys(unit('mastro.service'));
    assert.equal(keys.get('Type'), 'simple');
    assert.equal(keys.get('KillMode'), 'mixed');
    assert.equal(keys.get('KillSignal'), 'SIGTERM');
    const minutes = Number(/^(\d+)min$/.exec(keys.get('TimeoutStopSec') ?? '')?.[1]);
    assert.ok(minutes * 60 > 300, 'longer than the default stopGracePeriod (300 s)');
    assert.equal(keys.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(keys.get('Restart'), 'on-failure');
  });

  it('its ExecStart runs a master in the foreground that gets ready, reconfigures on SIGHUP and stops cleanly on SIGTERM', async () => {
    const keys = serviceKeys(unit('mastro.service'));
    const argv = keys.get('ExecStart')!.split(/\s+/);
    assert.deepEqual(argv, [MASTER_BIN, 'start', keys.get('WorkingDirectory'), '--foreground']);
    const dir = join(tmp, 'master');
    execFileSync(process.execPath, [join(ROOT, 'packages/master/dist/cli.js'), 'create-master', dir]);
    // The sample config's ports may be taken here: the same config on free ones.
    const config = join(dir, 'master.config.ts');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/port: 9989/g, 'port: 0').replace(/port: 8010/g, 'port: 0'));
    const child = spawn(process.execPath, [MASTER_CHECKOUT_BIN, ...argv.slice(1).map((a) => (a === keys.get('WorkingDirectory') ? dir : a))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const until = async (what: string, pred: () => boolean) => {
        const deadline = Date.now() + 90_000;
        while (!pred()) {
          if (child.exitCode !== null) throw new Error(`the master exited (${child.exitCode}) before ${what}:\n${output}`);
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('it is ready', () => /"master ready"/.test(output));
      assert.doesNotMatch(output, /\x1b\[/, 'not a terminal: JSON lines for the journal, no colours');
      child.kill('SIGHUP');
      await until('the reconfig', () => /"reconfig applied"/.test(output));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.match(output, /"master stopped"/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
