import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture, quietLogger } from './support/report-fixtures.js';
import { Recorder, recordingKinds, retryable } from './support/recording-reporter.js';
import { ReporterService } from '../src/reporters/service.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { OutboxStates } from '../src/db/tables/reporter-outbox.js';
import type { Reporter, ReporterControl, ReporterRuntime, ReporterSpec } from '../src/reporters/base.js';
import type { ReporterKinds } from '../src/reporters/registry.js';

const FAST = { retryInitialDelay: 0.02, retryMaxDelay: 0.05, pollInterval: 0.05 };

async function open() {
  const f = await ReportFixture.open();
  const rec = new Recorder();
  const service = new ReporterService({ db: f.db, data: f.data, masterid: f.masterid, logger: quietLogger(), getSecret: async () => undefined, redact: (t) => t, kinds: recordingKinds(rec) });
  const configure = (reporters: ReporterSpec[]) => service.configure({ reporters, delivery: FAST, title: 'T', buildbotURL: 'http://ci/' });
  f.data.updates.setReportOutbox(service);
  return { f, rec, service, configure };
}

describe('the reporter service', () => {
  test('rows are made only for the generators that want the event, keyed by reporter and builder', async () => {
    const { f, service, configure } = await open();
    try {
      await configure([{ kind: 'recording', name: 'a', generators: [{ kind: 'buildStatus' }, { kind: 'buildStartEnd' }] }, { kind: 'recording', name: 'b', generators: [{ kind: 'workerMissing' }] }]);
      assert.deepEqual(service.rowsFor(ReportEvents.buildStarted, { scope: 'builder:3' }), [{ reporter: 'a', generator: 1, event: ReportEvents.buildStarted, orderKey: 'a|builder:3' }]);
      assert.deepEqual(service.rowsFor(ReportEvents.buildFinished, { scope: 'builder:3' }).map((r) => [r.reporter, r.generator]), [['a', 0], ['a', 1]]);
      assert.deepEqual(service.rowsFor(ReportEvents.workerMissing, { scope: 'worker:w', payload: { name: 'w' } }), [{ reporter: 'b', generator: 0, event: ReportEvents.workerMissing, orderKey: 'b|worker:w', payload: { name: 'w' } }]);
    } finally { await f.close(); }
  });

  test('an unchanged reporter keeps running across a reconfig; a changed one is replaced and delivers the reports queued before', async () => {
    const { f, rec, service, configure } = await open();
    try {
      await configure([{ kind: 'recording', name: 'keep' }, { kind: 'recording', name: 'change', concurrency: 1 }]);
      await service.start();
      const keep = service.reporters().find((r) => r.name === 'keep');
      rec.behaviours.set('change', () => { throw retryable('endpoint down'); });
      await f.build({ builder: 'rc' });
      await rec.waitFor((s) => s.filter((x) => x.reporter === 'keep').length === 2, "the unchanged reporter's reports");
      const pending = (await f.db.reporterOutbox.list('change')).filter((r) => r.state === OutboxStates.pending);
      assert.equal(pending.length, 2, 'the changing reporter has its reports queued');
      rec.behaviours.delete('change');
      await configure([{ kind: 'recording', name: 'keep' }, { kind: 'recording', name: 'change', concurrency: 2 }]);
      assert.equal(service.reporters().find((r) => r.name === 'keep'), keep, 'same instance');
      assert.equal(service.reporters().find((r) => r.name === 'change')!.concurrency, 2, 'the new options');
      await rec.waitFor((s) => s.filter((x) => x.reporter === 'change').length === 2, 'the queued reports, after the reconfig');
      assert.deepEqual(rec.sent.filter((x) => x.reporter === 'change').map((x) => x.kind), [ReportEvents.buildStarted, ReportEvents.buildFinished]);
    } finally { await service.stop(); await f.close(); }
  });

  test('a removed reporter keeps its queued reports, shown as not configured, and delivers them when it is configured again', async () => {
    const { f, rec, service, configure } = await open();
    try {
      await configure([{ kind: 'recording', name: 'gone' }]);
      await service.start();
      rec.behaviours.set('gone', () => { throw retryable(); });
      await f.build({ builder: 'rm' });
      await configure([]);
      const [st] = await service.status();
      assert.deepEqual({ name: st!.name, configured: st!.configured, kind: st!.kind, pending: st!.pending }, { name: 'gone', configured: false, kind: null, pending: 2 });
      rec.behaviours.delete('gone');
      await configure([{ kind: 'recording', name: 'gone' }]);
      await rec.waitFor((s) => s.length === 2, 'the reports of the reporter configured again');
      const [after] = await service.status();
      assert.equal(after!.configured, true);
    } finally { await service.stop(); await f.close(); }
  });

  test('the status counts delivered, pending, failing and failed reports with the last error and delivery', async () => {
    const { f, rec, service, configure } = await open();
    try {
      await configure([{ kind: 'recording', name: 'st', generators: [{ kind: 'buildStatus', mode: 'all' }] }]);
      await service.start();
      await f.build({ builder: 'st' });
      await rec.waitFor((s) => s.length === 1, 'one delivered');
      rec.behaviours.set('st', () => { throw retryable('HTTP 502 from the proxy'); });
      await f.build({ builder: 'st' });
      const st = await (async () => {
        for (;;) {
          const [s] = await service.status();
          if (s!.failing === 1) return s!;
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      assert.equal(st.delivered, 1);
      assert.equal(st.pending, 1);
      assert.match(st.last_error!, /HTTP 502 from the proxy/);
      assert.ok(st.last_error_at! >= st.last_delivered_at!);
      assert.equal(st.kind, 'recording');
      assert.deepEqual(st.generators, ['buildStatus']);
    } finally { await service.stop(); await f.close(); }
  });

  test('reporters with a start (chat bots) start with the service, after the one a reconfig replaces is closed, with the master\'s control', async () => {
    const f = await ReportFixture.open();
    const events: string[] = [];
    const control: ReporterControl = { forceBuild: async () => ({ bsid: 1 }), stopBuild: async () => true };
    let runtimeSeen: ReporterRuntime | undefined;
    const kinds: ReporterKinds = {
      bot: {
        optionKeys: ['v'], check() {}, defaultGenerators: () => [],
        create: (spec): Reporter => ({
          name: spec.name ?? 'bot', kind: 'bot', generators: [], retryForMs: null, concurrency: null, send: async () => {},
          start: async (rt) => { runtimeSeen = rt; events.push(`start ${String(spec.v)}`); },
          close: async () => { events.push(`close ${String(spec.v)}`); },
        }),
      },
    };
    const service = new ReporterService({ db: f.db, data: f.data, masterid: f.masterid, logger: quietLogger(), getSecret: async () => undefined, redact: (t) => t, kinds, control });
    const configure = (v: number) => service.configure({ reporters: [{ kind: 'bot', v }], delivery: FAST, title: 'T', buildbotURL: 'http://ci/' });
    try {
      await configure(1);
      assert.deepEqual(events, [], 'not before the service starts');
      await service.start();
      await configure(1);
      await configure(2);
      assert.deepEqual(events, ['start 1', 'close 1', 'start 2']);
      assert.equal(runtimeSeen!.control, control);
      assert.equal(runtimeSeen!.buildbotURL, 'http://ci/');
      await service.stop();
      assert.deepEqual(events.at(-1), 'close 2');
    } finally { await f.close(); }
  });
});
