import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { Results } from '../src/model/results.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { BuildStatusGenerator } from '../src/reporters/generators/build-status.js';
import { BuildStartEndGenerator } from '../src/reporters/generators/build-start-end.js';
import { BuildSetStatusGenerator } from '../src/reporters/generators/buildset-status.js';
import { WorkerMissingGenerator } from '../src/reporters/generators/worker-missing.js';
import type { Generator, ReportEvent } from '../src/reporters/base.js';

let seq = 0;
const finished = (buildid: number): ReportEvent => ({ id: ++seq, kind: ReportEvents.buildFinished, subjectId: buildid, payload: null });
const started = (buildid: number): ReportEvent => ({ id: ++seq, kind: ReportEvents.buildStarted, subjectId: buildid, payload: null });

describe('build generators on a real data layer', () => {
  let f: ReportFixture;
  before(async () => { f = await ReportFixture.open(); });
  after(async () => { await f.close(); });
  const reported = async (g: Generator, buildid: number) => (await g.generate(f.context(), finished(buildid))) !== null;

  test("mode 'failing' reports a failed build and not a passing one", async () => {
    const g = new BuildStatusGenerator({ mode: 'failing' });
    const bad = await f.build({ builder: 'mf', results: Results.FAILURE });
    const good = await f.build({ builder: 'mf', results: Results.SUCCESS });
    assert.equal(await reported(g, bad.buildid), true);
    assert.equal(await reported(g, good.buildid), false);
  });

  test("mode 'all' reports failing, passing, warnings, exception and cancelled builds, and not skipped ones", async () => {
    const g = new BuildStatusGenerator({ mode: 'all' });
    for (const r of [Results.FAILURE, Results.SUCCESS, Results.WARNINGS, Results.EXCEPTION, Results.CANCELLED]) {
      assert.equal(await reported(g, (await f.build({ builder: 'ma', results: r })).buildid), true, `result ${r}`);
    }
    assert.equal(await reported(g, (await f.build({ builder: 'ma', results: Results.SKIPPED })).buildid), false);
  });

  test("mode 'warnings' is failing + warnings, 'exception' and 'cancelled' only their result (Buildbot's shortcuts)", async () => {
    const w = new BuildStatusGenerator({ mode: 'warnings' });
    assert.equal(await reported(w, (await f.build({ builder: 'mw', results: Results.FAILURE })).buildid), true);
    assert.equal(await reported(w, (await f.build({ builder: 'mw', results: Results.WARNINGS })).buildid), true);
    assert.equal(await reported(w, (await f.build({ builder: 'mw', results: Results.SUCCESS })).buildid), false);
    const e = new BuildStatusGenerator({ mode: ['exception', 'cancelled'] });
    assert.equal(await reported(e, (await f.build({ builder: 'mw', results: Results.EXCEPTION })).buildid), true);
    assert.equal(await reported(e, (await f.build({ builder: 'mw', results: Results.CANCELLED })).buildid), true);
    assert.equal(await reported(e, (await f.build({ builder: 'mw', results: Results.FAILURE })).buildid), false);
  });

  test("mode 'problem' reports a failure only after a build of the same builder AND branch that did not fail", async () => {
    const g = new BuildStatusGenerator({ mode: 'problem' });
    await f.build({ builder: 'mp', branch: 'main', results: Results.SUCCESS });
    // The first build of 'feature' has no previous build on its branch: not a "new" problem.
    const firstFeature = await f.build({ builder: 'mp', branch: 'feature', results: Results.FAILURE });
    assert.equal(await reported(g, firstFeature.buildid), false);
    // main fails after main passed: a problem, although the builder's newest build (feature) failed.
    const mainFails = await f.build({ builder: 'mp', branch: 'main', results: Results.FAILURE });
    assert.equal(await reported(g, mainFails.buildid), true);
    const mainFailsAgain = await f.build({ builder: 'mp', branch: 'main', results: Results.FAILURE });
    assert.equal(await reported(g, mainFailsAgain.buildid), false, 'still failing is no new problem');
  });

  test("mode 'change' compares with the previous build of the branch, skipping RETRY builds", async () => {
    const g = new BuildStatusGenerator({ mode: 'change' });
    await f.build({ builder: 'mc', branch: 'main', results: Results.SUCCESS });
    await f.build({ builder: 'mc', branch: 'dev', results: Results.FAILURE });
    const sameAsMain = await f.build({ builder: 'mc', branch: 'main', results: Results.SUCCESS });
    assert.equal(await reported(g, sameAsMain.buildid), false, 'main passed before (the dev failure in between is another branch)');
    await f.build({ builder: 'mc', branch: 'main', results: Results.RETRY });
    const broke = await f.build({ builder: 'mc', branch: 'main', results: Results.FAILURE });
    const report = await g.generate(f.context(), finished(broke.buildid));
    assert.ok(report, 'success -> (retry) -> failure is a change');
    assert.equal(report.builds[0]!.prev_build?.results, Results.SUCCESS, 'the RETRY build is not the previous one');
    assert.match(String(report.body), /new failure/);
    const restored = await g.generate(f.context(), finished((await f.build({ builder: 'mc', branch: 'main', results: Results.SUCCESS })).buildid));
    assert.match(String(restored?.body), /restored build/);
  });

  test('builders, tags, branches and schedulers filter the builds reported', async () => {
    const b = await f.build({ builder: 'fa', branch: 'rel', scheduler: 'nightly', results: Results.FAILURE });
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', builders: ['fa'] }), b.buildid), true);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', builders: ['other'] }), b.buildid), false);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', branches: ['rel'] }), b.buildid), true);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', branches: ['main'] }), b.buildid), false);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', schedulers: ['nightly'] }), b.buildid), true);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', schedulers: ['all'] }), b.buildid), false);
    await f.data.updates.updateBuilderInfo(b.builderid, { tags: ['release'] });
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', tags: ['release', 'x'] }), b.buildid), true);
    assert.equal(await reported(new BuildStatusGenerator({ mode: 'all', tags: ['x'] }), b.buildid), false);
  });

  test('the default text body names the builder, the result, the changes and their authors, the failing step with the last 40 lines of its log, and links', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `output line ${i + 1}`);
    const b = await f.build({
      builder: 'body', author: 'Bob <bob@example.org>', comments: 'Fix the frobnicator\n\nlong text', revision: 'abcdef1234567890',
      steps: [{ name: 'compile', lines: ['ok'] }, { name: 'test', results: Results.FAILURE, lines, state: 'test failed' }],
    });
    const report = (await new BuildStatusGenerator({ mode: 'failing' }).generate(f.context(), finished(b.buildid)))!;
    const body = String(report.body);
    assert.equal(report.type, 'plain');
    assert.equal(report.subject, 'Buildbot failure in Test CI on body');
    assert.match(body, /A failed build has been detected on builder body/);
    assert.match(body, /http:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/1/);
    assert.match(body, /abcdef123456 by Bob <bob@example\.org>: Fix the frobnicator/);
    assert.match(body, /Failing step: test \(test failed\)/);
    assert.match(body, /Last 40 lines of its log stdio \(http:\/\/ci\.example\.org\/api\/v2\/logs\/\d+\/raw\)/);
    assert.ok(body.includes('    output line 100\n') && body.includes('    output line 61\n'), body);
    assert.ok(!body.includes('output line 60\n'), 'only the last 40 lines');
    assert.ok(!body.includes('test --run'), 'the header line (the command) is not output');
    assert.deepEqual(report.users, ['Bob <bob@example.org>']);
  });

  test('the HTML body carries the same facts, escaped, with a plain-text twin', async () => {
    const b = await f.build({ builder: 'html', author: 'Eve <eve@example.org>', comments: 'a <b> & c', steps: [{ name: 'test', results: Results.FAILURE, lines: ['<boom>'] }] });
    const report = (await new BuildStatusGenerator({ mode: 'failing', messageFormatter: { templateType: 'html' } }).generate(f.context(), finished(b.buildid)))!;
    const html = String(report.body);
    assert.equal(report.type, 'html');
    assert.match(html, /Eve &lt;eve@example\.org&gt;: a &lt;b&gt; &amp; c/);
    assert.match(html, /<pre>&lt;boom&gt;\n<\/pre>/);
    assert.match(String(report.text), /Failing step: test/);
  });

  test('addLogs attaches the named logs; maxLogSize keeps the end of a long one and counts the lines left out', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(40)}`);
    const b = await f.build({ builder: 'logs', steps: [{ name: 'compile', lines: ['compiled'] }, { name: 'test', results: Results.FAILURE, lines }] });
    const all = (await new BuildStatusGenerator({ mode: 'failing', addLogs: true }).generate(f.context(), finished(b.buildid)))!;
    assert.deepEqual(all.logs.map((l) => `${l.stepname}.${l.name}`), ['compile.stdio', 'test.stdio']);
    const one = (await new BuildStatusGenerator({ mode: 'failing', addLogs: ['test.stdio'], maxLogSize: 10 * 1024 }).generate(f.context(), finished(b.buildid)))!;
    assert.equal(one.logs.length, 1);
    const log = one.logs[0]!;
    assert.ok(Buffer.byteLength(log.content) <= 10 * 1024);
    assert.ok(log.content.endsWith(`${lines[4999]}\n`));
    assert.ok(log.truncatedLines > 4000, `left out ${log.truncatedLines}`);
    const kept = log.content.split('\n').filter(Boolean).length;
    assert.equal(log.truncatedLines + kept, 5001, 'every line is either kept or counted (the header line included)');
  });

  test('buildStartEnd reports "Build started." when a build starts and "Build done." when it ends, whatever its result', async () => {
    const g = new BuildStartEndGenerator();
    const b = await f.startBuild({ builder: 'se' });
    const start = (await g.generate(f.context(), started(b.buildid)))!;
    assert.equal(start.body, 'Build started.');
    assert.equal(start.results, null);
    await f.finishBuild(b, { builder: 'se', results: Results.FAILURE });
    const end = (await g.generate(f.context(), finished(b.buildid)))!;
    assert.equal(end.body, 'Build done.');
    assert.equal(end.results, Results.FAILURE);
    assert.equal(await g.generate(f.context(), started(b.buildid)).then((r) => r?.builds[0]?.builder.name), 'se');
  });

  test('a start report generated after the build ended (a late delivery) still describes the build as started', async () => {
    const b = await f.build({ builder: 'late', results: Results.FAILURE });
    for (const g of [new BuildStartEndGenerator({}, { templateType: 'json' }), new BuildStatusGenerator({ reportNew: true }, { templateType: 'json' })]) {
      const r = (await g.generate(f.context(), started(b.buildid)))!;
      const doc = r.body as { complete: boolean; results: number | null; complete_at: number | null; steps: unknown[] };
      assert.deepEqual([doc.complete, doc.results, doc.complete_at, doc.steps.length, r.results], [false, null, null, 0, null], g.name);
    }
  });

  test('buildStatus with reportNew also reports a build that starts', async () => {
    const g = new BuildStatusGenerator({ reportNew: true });
    assert.deepEqual([...g.wantedEvents].sort(), [ReportEvents.buildFinished, ReportEvents.buildStarted].sort());
    const b = await f.startBuild({ builder: 'rn' });
    const r = (await g.generate(f.context(), started(b.buildid)))!;
    assert.match(String(r.body), /Build started/);
  });

  test('buildSetStatus makes one report about the matching builds of a completed buildset', async () => {
    const u = f.data.updates;
    const a = await f.startBuild({ builder: 'bs-a', alsoBuilders: ['bs-b'] });
    const bid = await u.findBuilderId('bs-b');
    const req = (await f.data.getList<any>(['buildsets', a.bsid, 'buildrequests'])).find((r) => r.builderid === bid)!;
    const other = await u.addBuild({ builderid: bid, buildrequestid: req.buildrequestid, workerid: (await u.findWorkerId('w0')), masterid: f.masterid, state_string: 'x' });
    await u.setBuildProperties(other.buildid, { branch: ['main', 'Build'] });
    await u.finishBuild(other.buildid, Results.SUCCESS);
    await u.finishBuild(a.buildid, Results.FAILURE);
    await u.completeBuildRequests(a.brids, Results.FAILURE);
    const event: ReportEvent = { id: ++seq, kind: ReportEvents.buildsetComplete, subjectId: a.bsid, payload: null };
    const all = (await new BuildSetStatusGenerator({ mode: 'all' }).generate(f.context(), event))!;
    assert.deepEqual(all.builds.map((b) => b.builder.name).sort(), ['bs-a', 'bs-b']);
    assert.equal(all.results, Results.FAILURE, "the buildset's result");
    assert.equal(all.subject, 'Buildbot failure in Test CI on whole buildset');
    const failing = (await new BuildSetStatusGenerator({ mode: 'failing' }).generate(f.context(), event))!;
    assert.deepEqual(failing.builds.map((b) => b.builder.name), ['bs-a']);
    assert.equal(await new BuildSetStatusGenerator({ mode: 'failing', builders: ['bs-b'] }).generate(f.context(), event), null);
  });

  test('workerMissing reports to the notifyOnMissing addresses and skips workers with none or not listed', async () => {
    const ev = (payload: Record<string, unknown>): ReportEvent => ({ id: ++seq, kind: ReportEvents.workerMissing, subjectId: 7, payload });
    const r = (await new WorkerMissingGenerator().generate(f.context(), ev({ name: 'w9', notify: ['ops@example.org'], missingTimeout: 60, lastConnection: 1700000000 })))!;
    assert.equal(r.subject, 'Buildbot worker w9 missing');
    assert.deepEqual(r.users, ['ops@example.org']);
    assert.match(String(r.body), /The worker named w9 went away/);
    assert.equal(await new WorkerMissingGenerator().generate(f.context(), ev({ name: 'w9', notify: [], missingTimeout: 60 })), null);
    assert.equal(await new WorkerMissingGenerator({ workers: ['w1'] }).generate(f.context(), ev({ name: 'w9', notify: ['a@b.org'], missingTimeout: 60 })), null);
  });
});
