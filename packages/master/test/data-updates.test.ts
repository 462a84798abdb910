import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { InProcessMessageQueue, type RoutingKey } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { Results } from '../src/model/results.js';

/** Records every event published on the bus. */
function recorder(mq: InProcessMessageQueue) {
  const events: Array<{ key: string; data: any }> = [];
  for (const root of ['masters', 'builders', 'workers', 'changes', 'buildsets', 'buildrequests', 'builds', 'steps', 'logs', 'schedulers']) {
    for (let len = 2; len <= 8; len++) mq.subscribe([root, ...Array(len - 1).fill(null)], (key: RoutingKey, data) => events.push({ key: key.join('/'), data }));
  }
  return { events, keys: () => events.map((e) => e.key), clear: () => { events.length = 0; } };
}

for (const engine of engines()) {
  describe(`data updates on ${engine.name}`, () => {
    let db: Db; let mq: InProcessMessageQueue; let data: DataConnector; let rec: ReturnType<typeof recorder>;
    let masterid: number; let builderid: number; let workerid: number;
    before(async () => {
      db = await engine.open(); mq = new InProcessMessageQueue(); data = new DataConnector(db, mq, { logChunkSize: 256, logFlushDelayMs: 5, logCompressMinSize: 64 });
      rec = recorder(mq);
      masterid = await data.updates.masterActive('m');
      builderid = await data.updates.findBuilderId('b');
      workerid = await data.updates.findWorkerId('w');
    });
    after(async () => { await data.flush(); await db.close(); });

    test('masterActive publishes masters/<id>/started', () => {
      assert.ok(rec.keys().includes(`masters/${masterid}/started`));
    });

    test('the new change, buildset and build request events equal what the API reads back afterwards', async () => {
      rec.clear();
      const first = await data.updates.addChange({ author: 'e', files: ['x'], revision: 'ev1', branch: 'ev', repository: 'evrepo', properties: { n: [1, 'Change'], u: { a: undefined, b: 2 } } as any });
      const id = await data.updates.addChange({ author: 'e', committer: 'c', revision: 'ev2', branch: 'ev', repository: 'evrepo', when_timestamp: 123 });
      const change = rec.events.find((e) => e.key === `changes/${id}/new`)!.data;
      assert.deepEqual(change.parent_changeids, [first]);
      const read = async (path: Array<string | number>) => ((await data.get(path)) as { item: any }).item;
      assert.deepEqual(change, await read(['changes', id]));
      assert.deepEqual(rec.events.find((e) => e.key === `changes/${first}/new`)!.data, await read(['changes', first]));
      const { bsid, brids } = await data.updates.addBuildset({
        sourcestamps: [change.sourcestamp.ssid], reason: 'because', builderids: [builderid], properties: { p: [{ deep: [1] }, 'test'] }, scheduler: 's',
      });
      const bs = rec.events.find((e) => e.key === `buildsets/${bsid}/new`)!.data;
      assert.deepEqual({ ...bs, scheduler: undefined }, { ...(await read(['buildsets', bsid])), scheduler: undefined });
      const br = rec.events.find((e) => e.key.startsWith('buildrequests/') && e.key.endsWith('/new'))!.data;
      assert.equal(br.buildrequestid, brids[builderid]);
      assert.deepEqual(br, await read(['buildrequests', brids[builderid]!]));
    });

    test('addChange stores the change with its source stamp and publishes changes/<id>/new', async () => {
      rec.clear();
      const id = await data.updates.addChange({ author: 'a <a@x>', files: ['f1', 'f2'], comments: 'c', revision: 'r1', branch: 'main', repository: 'repo', properties: { p: 1 } });
      const ev = rec.events.find((e) => e.key === `changes/${id}/new`);
      assert.ok(ev);
      assert.equal(ev.data.changeid, id);
      assert.deepEqual(ev.data.files, ['f1', 'f2']);
      assert.deepEqual(ev.data.properties, { p: [1, 'Change'] });
      assert.equal(ev.data.sourcestamp.revision, 'r1');
      const id2 = await data.updates.addChange({ author: 'a', comments: 'd', revision: 'r2', branch: 'main', repository: 'repo' });
      assert.deepEqual((await data.getChange(id2))?.parent_changeids, [id], 'the previous change on the branch is the parent');
    });

    test('a buildset publishes new requests and itself, and completes with the worst result when its requests complete', async () => {
      const other = await data.updates.findBuilderId('b2');
      rec.clear();
      const { bsid, brids } = await data.updates.addBuildset({
        scheduler: 'force', reason: 'because', builderids: [builderid, other], properties: { x: [1, 'Scheduler'] },
        sourcestamps: [{ codebase: '', repository: 'repo', branch: 'main', revision: 'abc', project: '' }],
      });
      assert.deepEqual(rec.keys().filter((k) => k.endsWith('/new')).sort(), [
        `builders/${builderid}/buildrequests/${brids[builderid]}/new`, `builders/${other}/buildrequests/${brids[other]}/new`,
        `buildrequests/${brids[builderid]}/new`, `buildrequests/${brids[other]}/new`,
        `buildsets/${bsid}/builders/${builderid}/buildrequests/${brids[builderid]}/new`, `buildsets/${bsid}/builders/${other}/buildrequests/${brids[other]}/new`,
        `buildsets/${bsid}/new`,
      ].sort());
      assert.equal(rec.events.find((e) => e.key === `buildsets/${bsid}/new`)!.data.scheduler, 'force');
      assert.equal((await data.getPendingBuildRequests()).filter((r) => r.buildsetid === bsid).length, 2);

      assert.equal(await data.updates.claimBuildRequests([brids[builderid]!, brids[other]!]), true);
      assert.equal(await data.updates.claimBuildRequests([brids[builderid]!]), false);
      assert.ok(rec.keys().includes(`buildrequests/${brids[builderid]}/claimed`));
      assert.equal((await data.getPendingBuildRequests()).filter((r) => r.buildsetid === bsid).length, 0);

      rec.clear();
      await data.updates.completeBuildRequests([brids[builderid]!], Results.SUCCESS);
      assert.ok(!rec.keys().includes(`buildsets/${bsid}/complete`), 'not complete while a request is open');
      await data.updates.completeBuildRequests([brids[other]!], Results.FAILURE);
      const done = rec.events.find((e) => e.key === `buildsets/${bsid}/complete`);
      assert.equal(done?.data.results, Results.FAILURE);
      assert.equal(done?.data.complete, true);
    });

    test('completing all of a buildset\'s requests at once publishes its complete event equal to what the API reads back', async () => {
      const other = await data.updates.findBuilderId('b3');
      const { bsid, brids } = await data.updates.addBuildset({
        scheduler: 'force', reason: 'all at once', builderids: [builderid, other], properties: { y: [2, 'Scheduler'] },
        sourcestamps: [{ codebase: '', repository: 'repo', branch: 'main', revision: 'def', project: '' }], external_idstring: 'ext',
      });
      const both = [brids[builderid]!, brids[other]!];
      assert.equal(await data.updates.claimBuildRequests(both), true);
      rec.clear();
      await data.updates.completeBuildRequests(both, Results.WARNINGS, 777);
      const done = rec.events.filter((e) => e.key === `buildsets/${bsid}/complete`);
      assert.equal(done.length, 1);
      assert.deepEqual(done[0]!.data, ((await data.get(['buildsets', bsid])) as { item: unknown }).item);
      assert.equal(done[0]!.data.results, Results.WARNINGS);
      assert.equal(done[0]!.data.external_idstring, 'ext');
    });

    test('unclaiming puts a request back in the pending list; cancelling completes it CANCELLED', async () => {
      const { bsid, brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
      const brid = brids[builderid]!;
      await data.updates.claimBuildRequests([brid]);
      rec.clear();
      await data.updates.unclaimBuildRequests([brid]);
      assert.ok(rec.keys().includes(`buildrequests/${brid}/unclaimed`));
      assert.ok((await data.getPendingBuildRequests()).some((r) => r.id === brid));
      await data.updates.cancelBuildRequest(brid, 'not needed');
      assert.ok(rec.keys().includes(`buildrequests/${brid}/canceled`));
      assert.equal((await data.getBuildRequest(brid))?.results, Results.CANCELLED);
      assert.equal((await data.getBuildset(bsid))?.results, Results.CANCELLED);
    });

    test('builds and steps publish Buildbot routing keys with their resource shape', async () => {
      const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
      const brid = brids[builderid]!;
      await data.updates.claimBuildRequests([brid]);
      rec.clear();
      const { buildid, number } = await data.updates.addBuild({ builderid, buildrequestid: brid, workerid, masterid, state_string: 'starting' });
      const newEv = rec.events.find((e) => e.key === `builds/${buildid}/new`);
      assert.deepEqual(Object.keys(newEv!.data).sort(), ['builderid', 'buildid', 'buildrequestid', 'complete', 'complete_at', 'masterid', 'number', 'properties', 'results', 'started_at', 'state_string', 'workerid']);
      assert.ok(rec.keys().includes(`builders/${builderid}/builds/${number}/new`));
      assert.ok(rec.keys().includes(`workers/${workerid}/builds/${buildid}/new`));
      await data.updates.setBuildProperty(buildid, 'got_revision', 'abc', 'Git');
      assert.deepEqual(await data.getBuildProperties(buildid), { got_revision: ['abc', 'Git'] });
      const s = await data.updates.addStep({ buildid, name: 'shell command' });
      assert.equal(s.name, 'shell_command');
      await data.updates.startStep(s.stepid);
      await data.updates.addStepURL(s.stepid, 'doc', 'http://x');
      await data.updates.finishStep(s.stepid, Results.SUCCESS, false);
      for (const ev of ['new', 'started', 'updated', 'finished']) assert.ok(rec.keys().includes(`builds/${buildid}/steps/${s.stepid}/${ev}`), ev);
      await data.updates.finishBuild(buildid, Results.SUCCESS);
      const fin = rec.events.find((e) => e.key === `builds/${buildid}/finished`);
      assert.equal(fin?.data.complete, true);
      assert.equal(fin?.data.results, Results.SUCCESS);
      assert.deepEqual(await data.getUnfinishedBuilds(masterid), []);
    });

    test('log appends are published at once and stored as compressed multi-line chunks', async () => {
      const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
      const { buildid } = await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: '' });
      const { stepid } = await data.updates.addStep({ buildid, name: 'logs' });
      const logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
      rec.clear();
      const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
      for (let i = 0; i < 200; i += 10) await data.updates.appendLog(logid, lines.slice(i, i + 10).join('\n') + '\n', i % 20 ? 'e' : 'o');
      const appends = rec.events.filter((e) => e.key === `logs/${logid}/append`);
      assert.equal(appends.length, 20);
      assert.equal(appends[1]!.data.firstline, 10);
      assert.ok(appends[1]!.data.content.startsWith('eline 10 '));
      await data.updates.finishLog(logid);
      assert.ok(rec.keys().includes(`steps/${stepid}/logs/stdio/finished`));
      const chunks = await db.kysely.selectFrom('logchunks').selectAll().where('logid', '=', logid).orderBy('first_line').execute();
      assert.ok(chunks.length > 1 && chunks.length < 200, `${chunks.length} chunks for 200 lines`);
      assert.ok(chunks.some((c) => c.compressed === 1));
      assert.equal(await data.getLogLines(logid, 5, 6), `oline 5 ${'x'.repeat(20)}\noline 6 ${'x'.repeat(20)}\n`);
      const all = await data.getLogLines(logid, 0, 199);
      assert.equal(all.split('\n').length - 1, 200);
      assert.equal((await db.logs.get(logid))?.num_lines, 200);
    });

    test('a log over logMaxSize keeps its head and tail with a marker between', async () => {
      const small = new DataConnector(db, mq, { logMaxSize: 100, logMaxTailSize: 30, logFlushDelayMs: 5 });
      await small.updates.masterActive('m');
      const { brids } = await small.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
      const { buildid } = await small.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: '' });
      const { stepid } = await small.updates.addStep({ buildid, name: 'big' });
      const logid = await small.updates.addLog({ stepid, name: 'out', type: 't' });
      for (let i = 0; i < 50; i++) await small.updates.appendLog(logid, `line-${String(i).padStart(3, '0')}\n`);
      await small.updates.finishLog(logid);
      const text = await small.getLogLines(logid, 0, 1000);
      assert.ok(text.startsWith('line-000\nline-001\n'));
      assert.match(text, /Output exceeded logMaxSize \(100 bytes\)/);
      assert.ok(text.endsWith('line-047\nline-048\nline-049\n'), text);
      assert.ok(!text.includes('line-020'));
    });

    test('worker connection and scheduler ownership publish events; state persists', async () => {
      rec.clear();
      await data.updates.workerConfigured(workerid, masterid, [builderid]);
      await data.updates.workerConnected({ workerid, masterid, workerinfo: { host: 'h' } });
      const ev = rec.events.find((e) => e.key === `workers/${workerid}/connected`);
      assert.deepEqual(ev?.data.connected_to, [{ masterid }]);
      await data.updates.workerDisconnected({ workerid, masterid });
      assert.deepEqual(rec.events.find((e) => e.key === `workers/${workerid}/disconnected`)?.data.connected_to, []);
      const sid = await data.updates.findSchedulerId('sch');
      assert.equal(await data.updates.trySetSchedulerMaster(sid, masterid), true);
      assert.equal(rec.events.find((e) => e.key === `schedulers/${sid}/updated`)?.data.master.masterid, masterid);
      assert.equal(await data.updates.getState('p', 'Poller', 'k', 'dflt'), 'dflt');
      await data.updates.setState('p', 'Poller', 'k', [1, 2]);
      assert.deepEqual(await data.updates.getState('p', 'Poller', 'k'), [1, 2]);
    });
  });
}
