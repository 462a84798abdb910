import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results } from '../src/model/results.js';
import { Interpolate } from '../src/process/renderables.js';
import { steps as stepTypes } from '../src/steps/index.js';
import type { StepFactory } from '../src/process/step-types.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, submit, waitFor, workerConfig, type Engine } from './support/process-harness.js';

/** The user steps of a build (after Buildbot's worker_preparation step 0, checked here). */
async function steps(e: Engine, buildid: number) {
  const r = await e.data.get(['builds', buildid, 'steps']);
  const all = r.kind === 'collection' ? r.items.map((s) => ({ name: s.name, results: s.results, hidden: s.hidden, state_string: s.state_string })) : [];
  assert.equal(all[0]?.name, 'worker_preparation');
  return all.slice(1);
}

async function runOne(e: Engine, builder: string) {
  await waitFor(async () => (await buildsOf(e, builder)).some((b) => b.complete), `a finished build of ${builder}`);
  return (await buildsOf(e, builder))[0];
}

async function setup(stepsList: ReturnType<typeof cmdStep>[], script?: FakeWorker['script'], opts: { secrets?: Record<string, string> } = {}) {
  const e = await makeEngine(opts);
  const w = new FakeWorker('w0', script);
  await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: stepsList })], [workerConfig('w0')]);
  await e.botmaster.start();
  await e.botmaster.workerAttached(w);
  return { e, w };
}

test('a failing haltOnFailure step stops the build; only alwaysRun steps still run', async () => {
  const { e } = await setup([
    cmdStep('ok'),
    cmdStep('fails', { haltOnFailure: true }, { command: ['false'] }),
    cmdStep('skipped-by-halt'),
    cmdStep('cleanup', { alwaysRun: true }),
  ], async ({ args }) => ({ rc: (args.command as string[])[0] === 'false' ? 1 : 0 }));
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    assert.equal(build.results, Results.FAILURE);
    assert.deepEqual((await steps(e, build.buildid)).map((s) => [s.name, s.results]), [['ok', 0], ['fails', 2], ['cleanup', 0]]);
    assert.match(build.state_string, /failed fails/);
  } finally { await e.close(); }
});

test('flunkOnFailure false and warnOnFailure turn a failure into success or warnings', async () => {
  const { e } = await setup([
    cmdStep('quiet', { flunkOnFailure: false }, { command: ['false'] }),
    cmdStep('warn', { flunkOnFailure: false, warnOnFailure: true }, { command: ['false'] }),
    cmdStep('after'),
  ], async ({ args }) => ({ rc: (args.command as string[])[0] === 'false' ? 1 : 0 }));
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    assert.equal(build.results, Results.WARNINGS);
    assert.deepEqual((await steps(e, build.buildid)).map((s) => s.results), [2, 2, 0]);
  } finally { await e.close(); }
});

test('doStepIf false skips a step and hideStepIf hides it', async () => {
  const { e } = await setup([
    cmdStep('never', { doStepIf: false, hideStepIf: (r) => r === Results.SKIPPED }),
    cmdStep('only-on-main', { doStepIf: (rt) => rt.getProperty('branch') === 'main' }),
  ]);
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    assert.equal(build.results, Results.SUCCESS);
    assert.deepEqual(await steps(e, build.buildid), [
      { name: 'never', results: Results.SKIPPED, hidden: true, state_string: 'never (skipped)' },
      { name: 'only-on-main', results: Results.SUCCESS, hidden: false, state_string: 'only-on-main' },
    ]);
  } finally { await e.close(); }
});

test('build properties come from the buildset, builder, worker and the build itself', async () => {
  let seen: unknown;
  const { e } = await setup([cmdStep('echo', {}, { command: ['echo', Interpolate('%(prop:buildername)s#%(prop:buildnumber)s on %(prop:workername)s rev %(src::revision)s by %(prop:owner)s')] })],
    async ({ args }) => { seen = args.command; return { rc: 0 }; });
  try {
    await submit(e, ['b'], { revision: 'abc123', properties: { owner: ['me', 'Force'] } });
    const build = await runOne(e, 'b');
    assert.deepEqual(seen, ['echo', 'b#1 on w0 rev abc123 by me']);
    const props = await e.data.getBuildProperties(build.buildid);
    assert.deepEqual(props.revision, ['abc123', 'Build']);
    assert.deepEqual(props.workername, ['w0', 'Worker']);
    assert.deepEqual(props.owner, ['me', 'Force']);
  } finally { await e.close(); }
});

test('stopping a build interrupts its command, ends it CANCELLED and skips the rest except alwaysRun', async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const { e } = await setup([
    cmdStep('long', {}, { command: ['sleep'] }),
    cmdStep('next'),
    cmdStep('cleanup', { alwaysRun: true }),
  ], async ({ args, interrupted }) => {
    if ((args.command as string[])[0] === 'sleep') { started(); await interrupted; return { rc: -1 }; }
    return { rc: 0 };
  });
  try {
    await submit(e, ['b']);
    await running;
    const [build] = e.botmaster.runningBuilds();
    assert.ok(e.botmaster.stopBuild(build.buildid, 'user asked'));
    const done = await runOne(e, 'b');
    assert.equal(done.results, Results.CANCELLED);
    assert.deepEqual((await steps(e, done.buildid)).map((s) => [s.name, s.results]), [['long', Results.CANCELLED], ['cleanup', Results.SUCCESS]]);
    const [req] = (await e.data.get(['buildrequests'])).items as any[];
    assert.equal(req.complete, true);
    assert.equal(req.results, Results.CANCELLED);
  } finally { await e.close(); }
});

test('a worker lost mid-build ends the build RETRY and its request runs again on another worker', async () => {
  const e = await makeEngine();
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const w0 = new FakeWorker('w0', async ({ interrupted }) => { started(); await interrupted; return { rc: -1 }; });
  const w1 = new FakeWorker('w1');
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0', 'w1'], steps: [cmdStep('s')] })], [workerConfig('w0'), workerConfig('w1')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w0);
    const { b: brid } = await submit(e, ['b']);
    await running;
    await e.botmaster.workerAttached(w1);
    w0.disconnect();
    await e.botmaster.workerDetached(w0);
    await waitFor(async () => (await buildsOf(e, 'b')).filter((b) => b.complete).length === 2, 'the retried build to finish');
    // The request is completed just after its build is written complete.
    await waitFor(async () => ((await e.data.get(['buildrequests', brid])) as any).item.complete, 'the request to complete');
    const builds = (await buildsOf(e, 'b')).sort((a, b) => a.number - b.number);
    assert.deepEqual(builds.map((b) => [b.results, b.buildrequestid]), [[Results.RETRY, brid], [Results.SUCCESS, brid]]);
    const req = (await e.data.get(['buildrequests', brid])) as any;
    assert.equal(req.item.results, Results.SUCCESS);
  } finally { await e.close(); }
});

test('secrets are redacted from logs even when a secret is split across output chunks', async () => {
  const { e } = await setup([cmdStep('leak', {}, { command: ['echo', Interpolate('%(secret:token)s')] })], async ({ emit }) => {
    emit(['stdout', 'token is TOP-']);
    emit(['stdout', 'SECRET-VALUE and more\npartial line']);
    emit(['stderr', ['err TOP-SECRET-VALUE\n', [0], [0]]]);
    return { rc: 0 };
  }, { secrets: { token: 'TOP-SECRET-VALUE' } });
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    const [, step] = (await e.data.get(['builds', build.buildid, 'steps'])).items as any[];
    const logs = (await e.data.get(['steps', step.stepid, 'logs'])).items as any[];
    const text = await e.data.getLogLines(logs[0].logid, 0, 100);
    assert.doesNotMatch(text, /TOP-SECRET|SECRET-VALUE/);
    assert.match(text, /token is <token> and more/);
    assert.match(text, /partial line/);
    assert.match(text, /err <token>/);
  } finally { await e.close(); }
});

test('a step parses command output with secrets redacted, also when a secret is split across updates', async () => {
  const { e } = await setup([
    stepTypes.setPropertyFromCommand({ name: 'prop', command: ['echo', Interpolate('%(secret:token)s')], property: 'value' }) as StepFactory,
    stepTypes.setPropertyFromCommand({
      name: 'fn', command: ['echo', Interpolate('%(secret:token)s')],
      extract_fn: (rc, stdout, stderr) => ({ out: stdout.trim(), err: stderr.trim() }),
    }) as StepFactory,
  ], async ({ emit }) => {
    emit(['stdout', 'TOP-SEC']);
    emit(['stdout', 'RET"VALUE\n']);
    emit(['stderr', ['TOP-SECRET"VAL', [], []]]);
    emit(['stderr', ['UE\n', [0], [0]]]);
    return { rc: 0 };
  }, { secrets: { token: 'TOP-SECRET"VALUE' } });
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    const props = await e.data.getBuildProperties(build.buildid);
    assert.deepEqual([props.value, props.out, props.err], [['<token>', 'SetPropertyFromCommand Step'], ['<token>', 'SetPropertyFromCommand Step'], ['<token>', 'SetPropertyFromCommand Step']]);
    const [, step] = (await e.data.get(['builds', build.buildid, 'steps'])).items as any[];
    const logs = (await e.data.get(['steps', step.stepid, 'logs'])).items as any[];
    const changes = await e.data.getLogLines(logs.find((l) => l.name === 'property changes').logid, 0, 100);
    assert.equal(changes, 'value: "<token>"\n');
  } finally { await e.close(); }
});

test('a step that throws ends EXCEPTION with its error in an err.text log', async () => {
  const e = await makeEngine();
  const boom = { stepType: 't', options: { name: 'boom' }, create: () => ({ name: 'boom', options: {}, run: async () => { throw new Error('kaput'); } }) };
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [boom, cmdStep('after')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(new FakeWorker('w0'));
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    assert.equal(build.results, Results.EXCEPTION);
    assert.deepEqual((await steps(e, build.buildid)).map((s) => s.name), ['boom']);
  } finally { await e.close(); }
});

test('a step over its maxTime is interrupted and fails the build', async () => {
  const { e } = await setup([cmdStep('slow', { maxTime: 0.1 }), cmdStep('next')], async ({ interrupted }) => { await interrupted; return { rc: -1 }; });
  try {
    await submit(e, ['b']);
    const build = await runOne(e, 'b');
    const s = await steps(e, build.buildid);
    assert.equal(s[0].name, 'slow');
    assert.match(s[0].state_string, /timed out/);
    assert.notEqual(build.results, Results.SUCCESS);
  } finally { await e.close(); }
});

test('the trigger hook hands a buildset to the triggerable scheduler named, with the build sourcestamps', async () => {
  const e = await makeEngine();
  const seen: any[] = [];
  e.services.findTriggerable = (name) => name === 'downstream' ? {
    name, async trigger(req) { seen.push(req); return { bsid: 99, brids: { 1: 2 }, finished: Promise.resolve({ results: Results.SUCCESS }) }; },
  } : undefined;
  e.services.triggerableNames = () => ['downstream'];
  const trig = { stepType: 't', options: { name: 'trigger' }, create: () => ({ name: 'trigger', options: {}, async run(rt: any) {
    const h = await rt.triggerBuilds({ schedulerName: 'downstream', waitForFinish: true, properties: { x: 1 } });
    await assert.rejects(rt.triggerBuilds({ schedulerName: 'nope', waitForFinish: false }), /no triggerable scheduler named 'nope' \(configured: downstream\)/);
    return (await h.finished).results;
  } }) };
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [trig] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(new FakeWorker('w0'));
    await submit(e, ['b'], { revision: 'r9' });
    const build = await runOne(e, 'b');
    assert.equal(build.results, Results.SUCCESS);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].waitedFor, true);
    assert.equal(seen[0].parentBuildid, build.buildid);
    assert.equal(seen[0].sourcestamps[0].revision, 'r9');
    assert.deepEqual(seen[0].properties, { x: [1, 'Trigger'] });
  } finally { await e.close(); }
});
