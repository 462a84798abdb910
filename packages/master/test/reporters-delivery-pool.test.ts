import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import { ReportFixture, quietLogger } from './support/report-fixtures.js';
import { Recorder, hangUntilAborted, permanent, recordingKinds, retryable } from './support/recording-reporter.js';
import { ReporterService } from '../src/reporters/service.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { OutboxStates } from '../src/db/tables/reporter-outbox.js';
import { Results } from '../src/model/results.js';
import type { ReporterSpec } from '../src/reporters/base.js';
import type { ReportDeliveryOptions } from '../src/reporters/delivery/options.js';
import { RateLimitError } from '../src/reporters/transport/errors.js';

/** Waits for a condition on the database (a deadline, not a sleep). */
async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const FAST: ReportDeliveryOptions = { retryInitialDelay: 0.02, retryMaxDelay: 0.1, pollInterval: 0.05, attemptTimeout: 5 };

async function setup(f: ReportFixture, specs: ReporterSpec[], delivery: ReportDeliveryOptions = FAST, masterid = f.masterid) {
  const rec = new Recorder();
  const logger = quietLogger();
  const service = new ReporterService({
    db: f.db, data: f.data, masterid, logger, getSecret: async () => undefined, redact: (t) => t.replaceAll('s3cret', '***'), kinds: recordingKinds(rec),
  });
  await service.configure({ reporters: specs, delivery, title: 'T', buildbotURL: 'http://ci/' });
  f.data.updates.setReportOutbox(service);
  await service.start();
  return { rec, service, logger };
}

for (const engine of engines()) {
  describe(`the delivery pool on ${engine.name}`, () => {
    test("a report is stored with the build's result and delivered once, generated when it is delivered", async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service } = await setup(f, [{ kind: 'recording', name: 'r1' }]);
      try {
        const b = await f.build({ builder: 'a', results: Results.FAILURE });
        await rec.waitFor((s) => s.length === 2, 'the start and the end report');
        assert.deepEqual(rec.sent.map((s) => [s.kind, s.subjectId]), [[ReportEvents.buildStarted, b.buildid], [ReportEvents.buildFinished, b.buildid]]);
        const body = rec.sent[1]!.body as { results: number; builder: { name: string } };
        assert.equal(body.results, Results.FAILURE, 'the JSON document is the build as it is at delivery');
        assert.equal(body.builder.name, 'a');
        await eventually(async () => (await f.db.reporterOutbox.list('r1')).every((r) => r.state === OutboxStates.delivered && r.claimedBy === null), 'rows marked delivered');
        const [st] = await service.status();
        assert.equal(st!.delivered, 2);
        assert.equal(st!.pending, 0);
      } finally { await service.stop(); await f.close(); }
    });

    test("the outbox row is in the build's transaction: when it cannot be stored, the result is not stored either", async () => {
      const f = await ReportFixture.open(await engine.open());
      try {
        const b = await f.startBuild({ builder: 'tx' });
        // An outbox that hands out a row the table refuses (reporter NULL): the whole finish must roll back.
        f.data.updates.setReportOutbox({ rowsFor: () => [{ reporter: null as unknown as string, generator: 0, event: ReportEvents.buildFinished, orderKey: 'k' }], written() {} });
        await assert.rejects(f.data.updates.finishBuild(b.buildid, Results.SUCCESS));
        await f.db.durable().catch(() => undefined);
        const row = await f.db.builds.get(b.buildid);
        assert.equal(row!.complete_at, null, 'the build is not complete without its report');
        assert.equal((await f.db.reporterOutbox.list()).length, 0);
      } finally { await f.close(); }
    });

    test("reports of one builder keep their order while the first is retried; another builder's go out meanwhile", async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service } = await setup(f, [{ kind: 'recording', name: 'ord' }]);
      try {
        const a = await f.startBuild({ builder: 'slow' });
        // The start report of build A fails until the other builder's reports are all delivered
        // (and at least three times): its end report must wait for it all along.
        let otherDone = false;
        rec.behaviours.set('ord', (report, attempt) => {
          if (report.event.subjectId === a.buildid && report.event.kind === ReportEvents.buildStarted && (attempt <= 3 || !otherDone)) throw retryable();
        });
        await f.finishBuild(a, { builder: 'slow' });
        const other = await f.build({ builder: 'fast' });
        await rec.waitFor((s) => s.filter((x) => x.subjectId === other.buildid).length === 2, "the other builder's reports");
        assert.equal(rec.sent.filter((x) => x.subjectId === a.buildid).length, 0, "build A's end report waits behind its failing start report");
        otherDone = true;
        await rec.waitFor((s) => s.filter((x) => x.subjectId === a.buildid).length === 2, "build A's reports after the retries");
        const forA = rec.sent.filter((x) => x.subjectId === a.buildid);
        assert.deepEqual(forA.map((x) => x.kind), [ReportEvents.buildStarted, ReportEvents.buildFinished]);
        const attempts = forA[0]!.attempt;
        assert.ok(attempts >= 4, `retried (${attempts} attempts)`);
        const rows = await eventually(async () => { const r = await f.db.reporterOutbox.list('ord'); return r.every((x) => x.state === OutboxStates.delivered) ? r : null; }, 'every row recorded as delivered');
        assert.equal(rows.find((r) => r.subjectId === a.buildid && r.event === ReportEvents.buildStarted)!.attempts, attempts);
        assert.match(rows.find((r) => r.subjectId === a.buildid && r.event === ReportEvents.buildStarted)!.lastError ?? '', /HTTP 503/);
      } finally { await service.stop(); await f.close(); }
    });

    test('a permanent error is given up at once, shown with its error, and does not hold the next report back', async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service, logger } = await setup(f, [{ kind: 'recording', name: 'perm' }]);
      rec.behaviours.set('perm', (report) => { if (report.event.kind === ReportEvents.buildStarted) throw permanent('HTTP 422 token s3cret refused'); });
      try {
        await f.build({ builder: 'p' });
        await rec.waitFor((s) => s.length === 1, 'the end report');
        const [st] = await eventually(async () => { const s = await service.status(); return s[0]!.failed === 1 && s[0]!.delivered === 1 ? s : null; }, 'one failed and one delivered');
        assert.equal(st!.delivered, 1);
        assert.match(st!.last_error!, /HTTP 422 token \*\*\* refused/);
        assert.ok(!st!.last_error!.includes('s3cret'), 'secrets are redacted from the stored error');
        assert.ok(logger.lines.some((l) => l.level === 'warn' && /will not be retried/.test(l.msg ?? '') && !(l.msg ?? '').includes('s3cret')));
        assert.equal(rec.attempts.size, 2, 'one attempt each');
      } finally { await service.stop(); await f.close(); }
    });

    test('a retryable error is retried until retryFor has passed since the event, then given up and logged', async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service, logger } = await setup(f, [{ kind: 'recording', name: 'rf', retryFor: 0.3, generators: [{ kind: 'buildStatus' }] }]);
      rec.behaviours.set('rf', () => { throw retryable('connection refused'); });
      try {
        await f.build({ builder: 'rf' });
        const row = await eventually(async () => (await f.db.reporterOutbox.list('rf')).find((r) => r.state === OutboxStates.failed), 'the row given up');
        assert.ok(row.attempts >= 2, `retried (${row.attempts} attempts)`);
        assert.match(row.lastError!, /^gave up after \d+ attempts over \d+ s \(retryFor 0 s\): POST http:\/\/x\/: connection refused/);
        assert.ok(logger.lines.some((l) => /gave up after/.test(l.msg ?? '')));
        assert.equal(rec.sent.length, 0);
      } finally { await service.stop(); await f.close(); }
    });

    test("a reporter whose endpoint hangs holds only its own slots: another reporter's reports go out meanwhile, and its attempts time out and are retried", async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service } = await setup(f, [{ kind: 'recording', name: 'hung', concurrency: 2 }, { kind: 'recording', name: 'ok' }], { ...FAST, attemptTimeout: 0.3 });
      rec.behaviours.set('hung', (_r, _a, ctx) => hangUntilAborted(ctx));
      try {
        for (let i = 0; i < 5; i++) await f.build({ builder: `h${i}` });
        await rec.waitFor((s) => s.filter((x) => x.reporter === 'ok').length === 10, "every report of the other reporter");
        assert.ok(service.reporters().length === 2);
        const hung = (await service.status()).find((s) => s.name === 'hung')!;
        assert.ok(hung.in_flight <= 2, `the hung reporter holds at most its concurrency (${hung.in_flight})`);
        const retried = await eventually(async () => (await f.db.reporterOutbox.list('hung')).find((r) => r.attempts >= 1 && r.lastError), 'a timed-out attempt recorded');
        assert.match(retried.lastError!, /longer than reportDelivery\.attemptTimeout \(0\.3 s\)/);
        assert.equal(retried.state, OutboxStates.pending, 'a timeout is retried');
      } finally { await service.stop(); await f.close(); }
    });

    test("a rate limit holds every report of that reporter until it lifts, and not the other reporters'", async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service } = await setup(f, [{ kind: 'recording', name: 'limited' }, { kind: 'recording', name: 'free' }]);
      let resetAt = 0;
      const afterLimit: number[] = [];
      rec.behaviours.set('limited', () => {
        if (resetAt) afterLimit.push(Date.now());
        else {
          const err = new RateLimitError('POST http://x/: rate-limited (HTTP 429); waiting 1 s', { target: 'POST http://x/', retryAfterMs: 400 });
          resetAt = err.resetAt;
          throw err;
        }
      });
      try {
        await f.build({ builder: 'rl1' });
        await eventually(async () => resetAt !== 0 && service.reporters().length === 2 && (await service.status()).find((x) => x.name === 'limited')!.in_flight === 0, 'the limit hit, nothing in flight');
        // Another builder's reports (another order key): held by the reporter's pause, not by the order.
        await f.build({ builder: 'rl2' });
        await rec.waitFor((s) => s.filter((x) => x.reporter === 'free').length === 4, "the other reporter's reports");
        await rec.waitFor((s) => s.filter((x) => x.reporter === 'limited').length === 4, "the limited reporter's reports, after the limit");
        assert.ok(resetAt > 0);
        assert.ok(afterLimit.length >= 1 && afterLimit.every((t) => t >= resetAt), 'no attempt of the limited reporter began before the limit lifted');
      } finally { await service.stop(); await f.close(); }
    });

    test('the next due time counts only the unclaimed heads of order keys (rows behind an in-flight head would spin the pool)', async () => {
      const f = await ReportFixture.open(await engine.open());
      try {
        const o = f.db.reporterOutbox;
        const row = (key: string) => ({ reporter: 'r', generator: 0, event: ReportEvents.buildFinished, orderKey: `r|${key}` });
        await o.insert([row('builder:1'), row('builder:1'), row('builder:1')], 1, 1000);
        await o.insert([row('other:1')], 2, 1000);
        const [head] = await o.dueHeads('r', 5000, 1);
        assert.equal(await o.nextDueAt('r'), 1000);
        assert.equal(await o.claim(head!.id, f.masterid, 5000), true);
        const [other] = await o.dueHeads('r', 5000, 10);
        assert.equal(other!.orderKey, 'r|other:1', 'the rows behind the claimed head are not heads');
        assert.equal(await o.claim(other!.id, f.masterid, 5000), true);
        assert.equal(await o.nextDueAt('r'), null, 'both heads in flight: nothing can be claimed until one is done');
        await o.retryLater(head!.id, f.masterid, 'HTTP 503', 5000, 9000);
        assert.equal(await o.nextDueAt('r'), 9000, 'the head being retried, not the rows behind it');
        assert.equal(await o.nextDueAt('s'), null);
      } finally { await f.close(); }
    });

    test('a generator that finds nothing to report removes its row without sending', async () => {
      const f = await ReportFixture.open(await engine.open());
      const { rec, service } = await setup(f, [{ kind: 'recording', name: 'skip', generators: [{ kind: 'buildStatus', mode: 'failing' }] }]);
      try {
        await f.build({ builder: 's', results: Results.SUCCESS });
        const bad = await f.build({ builder: 's', results: Results.FAILURE });
        await rec.waitFor((s) => s.length === 1, 'the failing build');
        assert.equal(rec.sent[0]!.subjectId, bad.buildid);
        await eventually(async () => (await f.db.reporterOutbox.list('skip')).length === 1, 'the skipped row removed');
      } finally { await service.stop(); await f.close(); }
    });

    test('two masters sharing the database never deliver one report twice', async () => {
      const f = await ReportFixture.open(await engine.open());
      const otherMaster = await f.data.updates.masterActive('other-master');
      // masterActive made 'other-master' this data layer's master: the fixture's master is it again.
      assert.equal(await f.data.updates.masterActive('test-master'), f.masterid);
      const one = await setup(f, [{ kind: 'recording', name: 'shared', concurrency: 3 }]);
      const two = await setup(f, [{ kind: 'recording', name: 'shared', concurrency: 3 }], FAST, otherMaster);
      // Both masters' pools see every row; the builds' rows are written through the first one.
      f.data.updates.setReportOutbox(one.service);
      try {
        for (let i = 0; i < 12; i++) await f.build({ builder: `m${i % 3}` });
        two.service.written();
        const total = () => one.rec.sent.length + two.rec.sent.length;
        await eventually(async () => total() >= 24 && (await f.db.reporterOutbox.list('shared')).every((r) => r.state === OutboxStates.delivered), 'all 24 reports delivered');
        const ids = [...one.rec.sent, ...two.rec.sent].map((s) => s.eventId);
        assert.equal(ids.length, 24);
        assert.equal(new Set(ids).size, 24, 'no report delivered twice');
      } finally { await one.service.stop(); await two.service.stop(); await f.close(); }
    });

    test('claims this master held when it was killed are released when it starts again', async () => {
      const f = await ReportFixture.open(await engine.open());
      try {
        // The rows of a build, claimed by this master as a delivery that a SIGKILL cut short leaves them.
        const writer = new ReporterService({ db: f.db, data: f.data, masterid: f.masterid, logger: quietLogger(), getSecret: async () => undefined, redact: (t) => t, kinds: recordingKinds(new Recorder()) });
        await writer.configure({ reporters: [{ kind: 'recording', name: 'crash' }], title: 'T', buildbotURL: 'http://ci/' });
        f.data.updates.setReportOutbox(writer);
        await f.build({ builder: 'c' });
        const rows = await f.db.reporterOutbox.list('crash');
        assert.equal(rows.length, 2);
        for (const r of rows) assert.equal(await f.db.reporterOutbox.claim(r.id, f.masterid, Date.now()), true);
        const again = await setup(f, [{ kind: 'recording', name: 'crash' }]);
        await again.rec.waitFor((s) => s.length === 2, 'both reports delivered after the restart');
        assert.deepEqual(again.rec.sent.map((x) => x.kind), [ReportEvents.buildStarted, ReportEvents.buildFinished]);
        await again.service.stop();
      } finally { await f.close(); }
    });

    test('delivered and failed reports are pruned after the retention', async () => {
      const f = await ReportFixture.open(await engine.open());
      let offset = 0;
      const rec = new Recorder();
      const service = new ReporterService({ db: f.db, data: f.data, masterid: f.masterid, logger: quietLogger(), getSecret: async () => undefined, redact: (t) => t, kinds: recordingKinds(rec), now: () => Date.now() + offset });
      await service.configure({ reporters: [{ kind: 'recording', name: 'prune' }], delivery: { ...FAST, retention: 60 }, title: 'T', buildbotURL: 'http://ci/' });
      f.data.updates.setReportOutbox(service);
      await service.start();
      try {
        await f.build({ builder: 'pr' });
        await eventually(async () => (await f.db.reporterOutbox.list('prune')).filter((r) => r.state === OutboxStates.delivered).length === 2, 'delivered');
        offset = 2 * 3600_000; // two hours later: past the retention and the housekeeping interval
        service.written();
        await eventually(async () => (await f.db.reporterOutbox.list('prune')).length === 0, 'rows pruned');
      } finally { await service.stop(); await f.close(); }
    });
  });
}
