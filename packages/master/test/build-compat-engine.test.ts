/**
 * Build-level Buildbot 3.7 compatibility of the engine (process/build.ts): the worker_preparation
 * step 0, the build's final state_string (result word, stop reason, step summaries by
 * updateBuildSummaryPolicy) and the `owners` property. The texts are those of Buildbot's
 * Build.startBuild / allStepsDone and BuildStep.getBuildResultSummary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Build } from '../src/process/build.js';
import { steps } from '../src/steps/index.js';
import { locks } from '../src/process/locks.js';
import { Results, type Result } from '../src/model/results.js';
import type { StepFactory, StepRuntime } from '../src/process/step-types.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, submit, waitFor, workerConfig, type Engine } from './support/process-harness.js';

async function allSteps(e: Engine, buildid: number) {
  const r = await e.data.get(['builds', buildid, 'steps']);
  return (r.kind === 'collection' ? r.items : []) as Array<{ stepid: number; number: number; name: string; results: number | null; state_string: string; started_at: number | null; complete: boolean }>;
}

async function oneBuild(e: Engine, builder: string) {
  await waitFor(async () => (await buildsOf(e, builder)).some((b) => b.complete), `a finished build of ${builder}`);
  return (await buildsOf(e, builder))[0] as { buildid: number; results: number; state_string: string; number: number };
}

async function engineWith(steps: StepFactory[], script?: FakeWorker['script']) {
  const e = await makeEngine();
  await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps })], [workerConfig('w0')]);
  await e.botmaster.start();
  await e.botmaster.workerAttached(new FakeWorker('w0', script));
  return e;
}

/** A step that ends with `result` and says what it likes about itself. */
function resultStep(name: string, result: Result, opts: Record<string, unknown> = {}, summary?: { step?: string; build?: string }): StepFactory {
  const options = { name, ...opts };
  return { stepType: 'test', options, create: () => ({ name, options, async run(rt: StepRuntime) { if (summary) await rt.updateSummary(summary); return result; } }) };
}

const failing = async ({ args }: { args: Record<string, unknown> }) => ({ rc: (args.command as string[])[0] === 'false' ? 1 : 0 });

test('every build starts with a worker_preparation step 0 that ends SUCCESS "worker <name> ready"; user steps are numbered from 1', async () => {
  const e = await engineWith([cmdStep('first'), cmdStep('second')]);
  try {
    await submit(e, ['b']);
    const build = await oneBuild(e, 'b');
    const steps = await allSteps(e, build.buildid);
    assert.deepEqual(steps.map((s) => [s.number, s.name, s.results, s.state_string]), [
      [0, 'worker_preparation', Results.SUCCESS, 'worker w0 ready'],
      [1, 'first', Results.SUCCESS, 'first'],
      [2, 'second', Results.SUCCESS, 'second'],
    ]);
    assert.ok(steps[0]!.started_at !== null && steps[0]!.complete, 'the preparation step is started and complete');
    const byNumber = await e.data.get(['builds', build.buildid, 'steps', 1]);
    assert.equal((byNumber as { item: { name: string } }).item.name, 'first', 'builds/N/steps/1 is the first user step');
  } finally { await e.close(); }
});

test('a failure while preparing the build ends worker_preparation EXCEPTION "error while ..." with the error in err.text', async () => {
  const e = await engineWith([cmdStep('never')]);
  const real = e.data.updates.setBuildProperties.bind(e.data.updates);
  let failed = false;
  e.data.updates.setBuildProperties = async (buildid, props) => {
    if (!failed) { failed = true; throw new Error('database says no'); }
    return real(buildid, props);
  };
  try {
    await submit(e, ['b']);
    const build = await oneBuild(e, 'b');
    assert.equal(build.results, Results.EXCEPTION);
    assert.equal(build.state_string, 'exception');
    const steps = await allSteps(e, build.buildid);
    assert.deepEqual(steps.map((s) => [s.name, s.results, s.state_string]), [['worker_preparation', Results.EXCEPTION, 'error while setting up the build']]);
    const logs = (await e.data.get(['steps', steps[0]!.stepid, 'logs'])).items as Array<{ logid: number; name: string }>;
    assert.deepEqual(logs.map((l) => l.name), ['err.text']);
    assert.match(await e.data.getLogLines(logs[0]!.logid, 0, 10), /database says no/);
  } finally { await e.close(); }
});

test('a build stopped while waiting for its locks ends worker_preparation CANCELLED and the build "cancelled (reason)"', async () => {
  const e = await engineWith([]);
  const lock = locks.master('only-one');
  const other = e.locks.tryAcquire('someone else', [lock.access('exclusive')], null)!;
  try {
    const builderid = await e.data.updates.findBuilderId('b');
    const { b: brid } = await submit(e, ['b']);
    // Claimed here, not by the dispatcher (which never starts a build whose locks are taken).
    await e.botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 1000 });
    assert.ok(await e.data.updates.claimBuildRequests([brid!]));
    const request = (await e.data.getBuildRequest(brid!))!;
    const build = new Build(e.services, {
      builder: builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('never')], locks: [lock.access('exclusive')] }),
      builderid, worker: new FakeWorker('w0'), workerid: await e.data.updates.findWorkerId('w0'), workerProperties: {}, requests: [request],
    });
    const done = build.run();
    await waitFor(() => build.phase === 'acquiring_locks', 'the build to wait for its lock');
    build.stop('not now');
    assert.equal(await done, Results.CANCELLED);
    const row = (await e.data.get(['builds', build.buildid])) as { item: { state_string: string } };
    assert.equal(row.item.state_string, 'cancelled (not now)');
    const steps = await allSteps(e, build.buildid);
    assert.deepEqual(steps.map((s) => [s.name, s.results, s.state_string]), [['worker_preparation', Results.CANCELLED, 'stopped while acquiring locks']]);
  } finally { other.release(); await e.close(); }
});

test('a failed build says "failed" then the summary of each step whose result is in its updateBuildSummaryPolicy', async () => {
  const e = await engineWith([
    cmdStep('compile', {}, { command: ['false'] }),
    cmdStep('lint', { flunkOnFailure: false }, { command: ['false'] }),
    cmdStep('docs', { flunkOnFailure: false, warnOnFailure: true }, { command: ['false'] }),
    resultStep('style', Results.WARNINGS, { warnOnWarnings: true }, { step: 'style: 3 warnings' }),
    resultStep('quiet-warn', Results.WARNINGS, {}, { step: 'quiet warnings' }),
    resultStep('tests', Results.FAILURE, {}, { step: '2 failed', build: '2 tests failed' }),
    resultStep('never-shown', Results.FAILURE, { updateBuildSummaryPolicy: false }),
    resultStep('always-shown', Results.SUCCESS, { updateBuildSummaryPolicy: true }, { step: 'fine' }),
    cmdStep('ok'),
  ], failing);
  try {
    await submit(e, ['b']);
    const build = await oneBuild(e, 'b');
    assert.equal(build.results, Results.FAILURE);
    assert.equal(build.state_string, 'failed compile (failure) docs (failure) style: 3 warnings 2 tests failed fine');
  } finally { await e.close(); }
});

test('a successful build says "build successful", a warned one "warnings", each followed by the steps\' build summaries', async () => {
  const e = await engineWith([resultStep('junit', Results.SUCCESS, {}, { step: '10 tests', build: '10 tests passed' })]);
  try {
    await submit(e, ['b']);
    assert.equal((await oneBuild(e, 'b')).state_string, 'build successful 10 tests passed');
  } finally { await e.close(); }
  const w = await engineWith([resultStep('style', Results.WARNINGS, { warnOnWarnings: true }), cmdStep('ok')]);
  try {
    await submit(w, ['b']);
    const build = await oneBuild(w, 'b');
    assert.equal(build.results, Results.WARNINGS);
    assert.equal(build.state_string, 'warnings style (warnings)');
  } finally { await w.close(); }
});

test('a stopped build says "cancelled (<reason>)" then the interrupted step\'s summary', async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const e = await engineWith([cmdStep('long', {}, { command: ['sleep'] }), cmdStep('next')], async ({ args, interrupted }) => {
    if ((args.command as string[])[0] === 'sleep') { started(); await interrupted; return { rc: -1 }; }
    return { rc: 0 };
  });
  try {
    await submit(e, ['b']);
    await running;
    e.botmaster.stopBuild(e.botmaster.runningBuilds()[0]!.buildid, 'user asked');
    const build = await oneBuild(e, 'b');
    assert.equal(build.results, Results.CANCELLED);
    assert.equal(build.state_string, 'cancelled (user asked) long (cancelled)');
  } finally { await e.close(); }
});

test('a build stopped by a master shutdown ends RETRY with its interrupted step RETRY: "(cancelled)" is not in its texts', async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const e = await engineWith([steps.shell({ command: ['sleep', '60'] }), cmdStep('long', {}, { command: ['sleep'] }), cmdStep('next')], async ({ args, interrupted }) => {
    if ((args.command as string[])[0] === 'sleep') { started(); await interrupted; return { rc: -1 }; }
    return { rc: 0 };
  });
  try {
    await submit(e, ['b']);
    await running;
    await e.botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 10_000 });
    const build = await oneBuild(e, 'b');
    assert.equal(build.results, Results.RETRY);
    assert.equal(build.state_string, "retry (master shutting down) 'sleep 60' (retry)");
    const all = await allSteps(e, build.buildid);
    assert.deepEqual(all.map((s) => [s.name, s.results, s.state_string]), [
      ['worker_preparation', Results.SUCCESS, 'worker w0 ready'],
      ['shell', Results.RETRY, "'sleep 60' (retry)"],
    ]);
  } finally { await e.close(); }
});

test('a step running when a master shutdown stops the build ends RETRY in its own summary too', async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const e = await engineWith([cmdStep('long', {}, { command: ['sleep'] })], async ({ interrupted }) => { started(); await interrupted; return { rc: -1 }; });
  try {
    await submit(e, ['b']);
    await running;
    await e.botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 10_000 });
    const build = await oneBuild(e, 'b');
    assert.equal(build.state_string, 'retry (master shutting down) long (retry)');
  } finally { await e.close(); }
});

test('a build whose worker is lost says "retry lost connection" then the interrupted step\'s summary', async () => {
  const e = await makeEngine();
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const w0 = new FakeWorker('w0', async ({ interrupted }) => { started(); await interrupted; return { rc: -1 }; });
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [resultStep('early', Results.FAILURE, { flunkOnFailure: true }), cmdStep('s')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w0);
    await submit(e, ['b']);
    await running;
    w0.disconnect();
    await e.botmaster.workerDetached(w0);
    const build = await oneBuild(e, 'b');
    assert.equal(build.results, Results.RETRY);
    assert.equal(build.state_string, 'retry lost connection s (retry)');
  } finally { await e.close(); }
});

test('owners is the sorted, de-duplicated list of change authors, patch authors and request owners (source Build)', async () => {
  const e = await engineWith([cmdStep('s')]);
  try {
    const builderid = await e.data.updates.findBuilderId('b');
    const c1 = await e.data.updates.addChange({ author: 'zed <z@example.com>', revision: 'r2', branch: 'main', repository: 'repo', project: 'p' });
    const c2 = await e.data.updates.addChange({ author: 'amy <a@example.com>', revision: 'r2', branch: 'main', repository: 'repo', project: 'p' });
    const change = (await e.data.getChange(c2))!;
    assert.ok(c1 && change.sourcestampid);
    await e.data.updates.addBuildset({
      scheduler: 'test', reason: 'test', builderids: [builderid], sourcestamps: [change.sourcestampid],
      properties: { owner: ['amy <a@example.com>', 'Force'] },
    });
    const build = await oneBuild(e, 'b');
    const props = await e.data.getBuildProperties(build.buildid);
    assert.deepEqual(props.owners, [['amy <a@example.com>', 'zed <z@example.com>'], 'Build']);
  } finally { await e.close(); }
});

test('owners holds a patch author and the requester; a build with neither has no owners property', async () => {
  const e = await engineWith([cmdStep('s')]);
  try {
    const builderid = await e.data.updates.findBuilderId('b');
    await e.data.updates.addBuildset({
      scheduler: 'try', reason: 'try', builderids: [builderid], properties: { owner: ['bob', 'Try'] },
      sourcestamps: [{ codebase: '', repository: 'repo', branch: 'main', revision: 'r1', project: 'p', patch: { level: 1, body: 'diff', author: 'carol' } }],
    });
    const build = await oneBuild(e, 'b');
    assert.deepEqual((await e.data.getBuildProperties(build.buildid)).owners, [['bob', 'carol'], 'Build']);
  } finally { await e.close(); }
  const plain = await engineWith([cmdStep('s')]);
  try {
    await submit(plain, ['b']);
    const build = await oneBuild(plain, 'b');
    assert.equal((await plain.data.getBuildProperties(build.buildid)).owners, undefined);
  } finally { await plain.close(); }
});
