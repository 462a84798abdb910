import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { steps, stepTypes } from '../src/steps/index.js';
import { Results } from '../src/model/results.js';
import { RENDERABLE } from '../src/process/step-types.js';
import type { TriggerHandle } from '../src/process/step-types.js';
import { FakeRuntime, isGit } from './support/steps-fake-runtime.js';

/** A minimal renderable standing in for util.property('x'). */
const prop = (name: string) => ({ [RENDERABLE]: true as const, getRenderingFor: (ctx: { properties: { getProperty(n: string): unknown } }) => ctx.properties.getProperty(name) });

describe('shell step', () => {
  it('sends Buildbot shell arguments with rendered command, workdir, env and logfiles', async () => {
    const rt = new FakeRuntime({ properties: { target: 'check' } });
    const f = steps.shell({ command: ['make', prop('target') as never], env: { CC: 'clang' }, timeout: 60, logfiles: { testlog: 'test.log' }, want_stderr: false });
    assert.equal(await f.create().run(rt), Results.SUCCESS);
    const c = rt.commands[0]!;
    assert.equal(c.command, 'shell');
    assert.deepEqual(c.args.command, ['make', 'check']);
    assert.equal(c.args.workdir, 'build');
    assert.deepEqual(c.args.env, { CC: 'clang' });
    assert.equal(c.args.timeout, 60);
    assert.equal(c.args.want_stderr, false);
    assert.equal(c.args.want_stdout, true);
    assert.deepEqual(c.args.logfiles, { testlog: 'test.log' });
    assert.equal(rt.summaries.at(-1)!.step, "'make check'");
  });

  it('leaves the summary to the engine when the user wrote a description', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 1 }) });
    assert.equal(await steps.shell({ command: ['make'], description: 'building', descriptionDone: 'built' }).create().run(rt), Results.FAILURE);
    assert.deepEqual(rt.summaries, []);
    assert.deepEqual(rt.stateStrings, []);
  });

  it('keeps a string command a string (run by the worker shell) and defaults the timeout to 20 minutes', async () => {
    const rt = new FakeRuntime();
    await steps.shell({ command: 'make test | tee out' }).create().run(rt);
    assert.equal(rt.commands[0]!.args.command, 'make test | tee out');
    assert.equal(rt.commands[0]!.args.timeout, 1200);
  });

  it('maps exit codes through decodeRC, unlisted codes are FAILURE', async () => {
    const run = async (rc: number) => steps.shell({ command: ['t'], decodeRC: { 0: Results.SUCCESS, 3: Results.WARNINGS } }).create().run(new FakeRuntime({ responder: () => ({ rc }) }));
    assert.equal(await run(0), Results.SUCCESS);
    assert.equal(await run(3), Results.WARNINGS);
    assert.equal(await run(1), Results.FAILURE);
  });

  it('ends CANCELLED when interrupted and RETRY when the worker connection is lost', async () => {
    assert.equal(await steps.shell({ command: ['x'] }).create().run(new FakeRuntime({ responder: () => ({ rc: null, interrupted: true }) })), Results.CANCELLED);
    assert.equal(await steps.shell({ command: ['x'] }).create().run(new FakeRuntime({ responder: () => ({ rc: null, failure: { message: 'lost', lostConnection: true } }) })), Results.RETRY);
  });

  it('counts warning lines across output chunks and turns success into WARNINGS, or FAILURE above maxWarnCount', async () => {
    const out = 'a.c:1: warning: x\nok\nb.c:2: warn';
    const rt = new FakeRuntime({ responder: () => ({ rc: 0, stdout: out + 'ing: y\n' }) });
    assert.equal(await steps.shell({ command: ['cc'], warningPattern: '^.*warning[: ].*$' }).create().run(rt), Results.WARNINGS);
    assert.equal(rt.logs.get('warnings')!.content, 'a.c:1: warning: x\nb.c:2: warning: y\n');
    assert.equal(rt.summaries.at(-1)!.step, "'cc' (warnings)");
    const rt2 = new FakeRuntime({ responder: () => ({ rc: 0, stdout: 'warning: 1\nwarning: 2\n' }) });
    assert.equal(await steps.shell({ command: ['cc'], warningPattern: /warning/, maxWarnCount: 1 }).create().run(rt2), Results.FAILURE);
  });

  it('refuses a missing command, a bad decodeRC and a bad warningPattern at config time', () => {
    assert.throws(() => steps.shell({} as never), /steps\.shell: command: is required/);
    assert.throws(() => steps.shell({ command: ['x'], decodeRC: { 1: 9 as never } }), /decodeRC\.1/);
    assert.throws(() => steps.shell({ command: ['x'], warningPattern: '(' }), /warningPattern: is not a valid regular expression/);
  });
});

describe('shellSequence step', () => {
  it('runs commands in order and stops after a failing haltOnFailure command', async () => {
    const rt = new FakeRuntime({ responder: (r) => (isGit(r, 'second') ? { rc: 1 } : { rc: 0 }) });
    const f = steps.shellSequence({ commands: [{ command: ['first'] }, { command: ['second'], haltOnFailure: true }, { command: ['third'] }] });
    assert.equal(await f.create().run(rt), Results.FAILURE);
    assert.deepEqual(rt.shellArgvs, [['first'], ['second']]);
  });

  it('continues past failures that neither halt nor flunk, and warns with warnOnFailure', async () => {
    const rt = new FakeRuntime({ responder: (r) => (isGit(r, 'lint') ? { rc: 1 } : { rc: 0 }) });
    const f = steps.shellSequence({ commands: [{ command: ['lint'], flunkOnFailure: false, warnOnFailure: true }, { command: ['build'], logname: 'build' }] });
    assert.equal(await f.create().run(rt), Results.WARNINGS);
    assert.deepEqual(rt.shellArgvs, [['lint'], ['build']]);
    assert.ok(rt.logs.has('build'));
  });

  it('rejects unknown per-command options', () => {
    assert.throws(() => steps.shellSequence({ commands: [{ command: ['x'], haltOnFail: true } as never] }), /commands\[0\]\.haltOnFail/);
  });
});

describe('property steps', () => {
  it('setPropertyFromCommand stores stripped stdout in the property', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 0, stdout: '  1.2.3\n' }) });
    assert.equal(await steps.setPropertyFromCommand({ command: ['cat', 'VERSION'], property: 'version' }).create().run(rt), Results.SUCCESS);
    assert.equal(rt.getProperty('version'), '1.2.3');
    assert.equal(rt.summaries.at(-1)!.step, "property 'version' set");
    assert.match(rt.logs.get('property changes')!.content, /version: "1\.2\.3"/);
  });

  it('setPropertyFromCommand with extract_fn sets what the function returns from rc, stdout and stderr', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 0, stdout: 'a=1\nb=2\n', stderr: 'warn' }) });
    const f = steps.setPropertyFromCommand({
      command: 'env',
      extract_fn: (rc, stdout, stderr) => ({ ...Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('='))), rc, stderr }),
    });
    await f.create().run(rt);
    assert.deepEqual([rt.getProperty('a'), rt.getProperty('b'), rt.getProperty('rc'), rt.getProperty('stderr')], ['1', '2', 0, 'warn']);
  });

  it('setPropertyFromCommand does not set the property when the command fails', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 2, stdout: 'oops' }) });
    assert.equal(await steps.setPropertyFromCommand({ command: ['x'], property: 'p' }).create().run(rt), Results.FAILURE);
    assert.equal(rt.getProperty('p'), undefined);
    assert.throws(() => steps.setPropertyFromCommand({ command: ['x'] }), /exactly one of property and extract_fn/);
  });

  it('setProperties sets a dict with rendered values, or what a function computes', async () => {
    const rt = new FakeRuntime({ properties: { branch: 'main' } });
    await steps.setProperties({ properties: { channel: 'stable', copy: prop('branch') } }).create().run(rt);
    assert.deepEqual([rt.getProperty('channel'), rt.getProperty('copy')], ['stable', 'main']);
    await steps.setProperties({ properties: (p) => ({ upper: String(p.getProperty('branch')).toUpperCase() }) }).create().run(rt);
    assert.equal(rt.getProperty('upper'), 'MAIN');
  });
});

describe('worker file-system steps', () => {
  it('makeDirectory, removeDirectory and copyDirectory send mkdir, rmdir and cpdir relative to the builder directory', async () => {
    const rt = new FakeRuntime();
    assert.equal(await steps.makeDirectory({ dir: 'build/out' }).create().run(rt), Results.SUCCESS);
    assert.equal(await steps.removeDirectory({ dir: 'build/tmp' }).create().run(rt), Results.SUCCESS);
    assert.equal(await steps.copyDirectory({ src: 'build/a', dest: 'build/b' }).create().run(rt), Results.SUCCESS);
    assert.deepEqual(rt.commands.map((c) => [c.command, c.args.dir ?? `${c.args.fromdir}->${c.args.todir}`]), [
      ['mkdir', 'build/out'], ['rmdir', 'build/tmp'], ['cpdir', 'build/a->build/b'],
    ]);
  });

  it('a failing mkdir ends FAILURE with the rc in the log', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 13 }) });
    assert.equal(await steps.makeDirectory({ dir: '/root/x' }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.stderr, /mkdir \/root\/x failed \(rc=13\)/);
  });

  it('fileExists succeeds for a regular file and fails for a missing path or a directory', async () => {
    const statWith = (mode: number | null) => new FakeRuntime({ responder: () => (mode === null ? { rc: 2 } : { rc: 0, updates: { stat: [mode, 0, 0, 1, 0, 0, 5, 0, 0, 0] } }) });
    const file = statWith(0o100644);
    assert.equal(await steps.fileExists({ file: 'build/a.out' }).create().run(file), Results.SUCCESS);
    assert.deepEqual(file.commands[0]!.args, { file: 'build/a.out' });
    assert.equal(await steps.fileExists({ file: 'x' }).create().run(statWith(null)), Results.FAILURE);
    const dir = statWith(0o040755);
    assert.equal(await steps.fileExists({ file: 'x' }).create().run(dir), Results.FAILURE);
    assert.equal(dir.summaries.at(-1)!.step, 'Not a file: x (failure)');
  });
});

describe('masterShellCommand step', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'mastro-msc-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs on the master in the master directory with extra env, output into the stdio log', async () => {
    const rt = new FakeRuntime({ masterDir: dir });
    const f = steps.masterShellCommand({ command: 'echo "$GREETING" > out.txt; echo to-stdout; echo to-stderr >&2', env: { GREETING: 'hello' } });
    assert.equal(await f.create().run(rt), Results.SUCCESS);
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'hello\n');
    const log = rt.logs.get('stdio')!;
    assert.equal(log.stdout, 'to-stdout\n');
    assert.equal(log.stderr, 'to-stderr\n');
    assert.match(log.header, /exit code 0/);
  });

  it('ends FAILURE on a non-zero exit code', async () => {
    assert.equal(await steps.masterShellCommand({ command: ['sh', '-c', 'exit 4'] }).create().run(new FakeRuntime({ masterDir: dir })), Results.FAILURE);
  });

  it('stopping the build kills the command and its children and ends CANCELLED', async () => {
    const rt = new FakeRuntime({ masterDir: dir });
    const pidFile = join(dir, 'child.pid');
    const running = steps.masterShellCommand({ command: `sleep 30 & echo $! > ${pidFile}; wait` }).create().run(rt);
    // Wait until the grandchild exists, then stop.
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    rt.stop('user asked');
    assert.equal(await running, Results.CANCELLED);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try { process.kill(pid, 0); await new Promise((r) => setTimeout(r, 20)); } catch { alive = false; }
    }
    assert.equal(alive, false, 'the background child was killed with its process group');
  });
});

describe('trigger step', () => {
  const handle = (results: number, brid = 5): TriggerHandle => ({ bsid: 1, brids: { 1: brid }, finished: Promise.resolve({ results: results as never }) });
  const sourcestamps = [{ codebase: 'app', repository: 'r', branch: 'main', revision: null, project: '' }];

  it('passes the SourceStamps pinned to got_revision and the chosen properties, without waiting', async () => {
    // The build's stamp is stored (ssid 7) with no revision: the pinned one is a new stamp, not ssid 7.
    const rt = new FakeRuntime({ sourcestamps: [{ ...sourcestamps[0]!, ssid: 7 }], properties: { got_revision: { app: 'f'.repeat(40) }, owner: 'ann', other: 1 }, trigger: async () => handle(Results.FAILURE) });
    const f = steps.trigger({ schedulerNames: ['deploy'], copy_properties: ['owner'], set_properties: { env: 'prod' } });
    assert.equal(await f.create().run(rt), Results.SUCCESS);
    const req = rt.triggers[0]!;
    assert.equal(req.schedulerName, 'deploy');
    assert.equal(req.sourcestamps![0]!.revision, 'f'.repeat(40));
    assert.equal(req.sourcestamps![0]!.ssid, undefined);
    assert.deepEqual(req.properties, { owner: 'ann', env: 'prod' });
    assert.equal(req.waitForFinish, false);
    assert.deepEqual(rt.urls, [['deploy #5', '#/buildrequests/5']]);
    await steps.trigger({ schedulerNames: ['same'], updateSourceStamp: false }).create().run(rt);
    assert.equal(rt.triggers[1]!.sourcestamps![0]!.ssid, 7, 'an unchanged stamp is passed by its id');
  });

  it('when waiting, takes the worst result of the triggered builds, ignoring unimportant schedulers', async () => {
    const results: Record<string, number> = { a: Results.SUCCESS, b: Results.WARNINGS, c: Results.FAILURE };
    const rt = new FakeRuntime({ sourcestamps, trigger: async (r) => handle(results[r.schedulerName]!) });
    assert.equal(await steps.trigger({ schedulerNames: ['a', 'b'], waitForFinish: true }).create().run(rt), Results.WARNINGS);
    assert.equal(await steps.trigger({ schedulerNames: ['a', 'c'], waitForFinish: true, unimportantSchedulerNames: ['c'] }).create().run(rt), Results.SUCCESS);
  });

  it('alwaysUseLatest drops revisions; an unknown scheduler ends EXCEPTION with an explanation', async () => {
    const rt = new FakeRuntime({ sourcestamps: [{ ...sourcestamps[0]!, revision: 'abc', ssid: 3 }], trigger: async (r) => { if (r.schedulerName === 'nope') throw new Error('no triggerable scheduler named "nope"'); return handle(0); } });
    await steps.trigger({ schedulerNames: ['ok'], alwaysUseLatest: true }).create().run(rt);
    assert.equal(rt.triggers[0]!.sourcestamps![0]!.revision, null);
    assert.equal(rt.triggers[0]!.sourcestamps![0]!.ssid, undefined);
    assert.equal(await steps.trigger({ schedulerNames: ['nope'] }).create().run(rt), Results.EXCEPTION);
    assert.match(rt.logs.get('trigger errors')!.content, /nope: no triggerable scheduler named "nope"/);
  });

  it('a stop while waiting ends CANCELLED', async () => {
    const rt = new FakeRuntime({ sourcestamps, trigger: async () => ({ bsid: 1, brids: {}, finished: new Promise(() => {}) }) });
    const running = steps.trigger({ schedulerNames: ['slow'], waitForFinish: true }).create().run(rt);
    await new Promise((r) => setImmediate(r));
    rt.stop();
    assert.equal(await running, Results.CANCELLED);
  });
});

describe('steps namespace', () => {
  it('exposes every step type by name for data-driven (YAML) configs', () => {
    for (const name of ['shell', 'shellSequence', 'setPropertyFromCommand', 'setProperties', 'git', 'fileUpload', 'directoryUpload',
      'fileDownload', 'stringDownload', 'makeDirectory', 'removeDirectory', 'copyDirectory', 'fileExists', 'masterShellCommand', 'trigger', 'junit']) {
      assert.equal(typeof stepTypes[name], 'function', name);
    }
    const f = stepTypes.shell!({ command: ['true'], name: 'noop' });
    assert.equal(f.stepType, 'shell');
    assert.equal(f.create().name, 'noop');
    assert.ok(Object.isFrozen(f.options));
  });
});
