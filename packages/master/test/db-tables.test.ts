import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { openDatabase } from '../src/db/index.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

for (const engine of engines()) {
  describe(`db on ${engine.name}`, () => {
    let db: Db;
    before(async () => { db = await engine.open(); });
    after(async () => { await db.close(); });

    test('masters, builders and workers are found or created by name, with stable ids', async () => {
      const m1 = await db.masters.findOrCreate('m1', 100);
      assert.equal(await db.masters.findOrCreate('m1', 200), m1);
      const b1 = await db.builders.findOrCreate('b1');
      assert.equal(await db.builders.findOrCreate('b1'), b1);
      assert.notEqual(await db.builders.findOrCreate('b2'), b1);
      const w = await db.workers.findOrCreate('w');
      assert.equal(await db.workers.findOrCreate('w'), w);
      await db.builders.setMasterBuilders(m1, [b1]);
      await db.workers.setConfigured(w, m1, [b1]);
      await db.workers.setConnected(w, m1, { os: 'linux' });
      const wr = await db.workers.get(w);
      assert.deepEqual(wr?.connected_to, [{ masterid: m1 }]);
      assert.deepEqual(wr?.configured_on, [{ masterid: m1, builderid: b1 }]);
      assert.deepEqual(wr?.info, { os: 'linux' });
      const builders = await db.builders.list();
      assert.deepEqual(builders.find((b) => b.id === b1)?.masterids, [m1]);
    });

    test('a worker keeps its pool, tags and platform; forgetting drops an absent pool worker from lists but not from lookups, never a connected one', async () => {
      const m = await db.masters.findOrCreate('m-pools', 100);
      const away = await db.workers.findOrCreate('p/away');
      const here = await db.workers.findOrCreate('p/here');
      for (const w of [away, here]) await db.workers.setConnected(w, m, {}, { pool: 'p', tags: ['os=linux', 'docker'], os: 'linux', arch: 'x64' });
      await db.workers.setDisconnected(away, m);
      const row = await db.workers.get(away);
      assert.deepEqual([row?.pool, row?.tags, row?.os, row?.arch], ['p', ['os=linux', 'docker'], 'linux', 'x64']);
      assert.deepEqual((await db.workers.absentPoolWorkers()).filter((r) => r.pool === 'p').map((r) => r.name), ['p/away']);
      assert.deepEqual(await db.workers.forget([away, here]), [away], 'the connected one stays');
      assert.deepEqual(await db.workers.forget([away]), [], 'once');
      const names = (await db.workers.list({ filters: [{ column: 'pool', op: 'eq', values: ['p'] }] })).map((r) => r.name);
      assert.deepEqual(names, ['p/here']);
      assert.equal(await db.workers.count({ filters: [{ column: 'pool', op: 'eq', values: ['p'] }] }), 1);
      assert.equal((await db.workers.get(away))?.name, 'p/away', 'found by id');
      await db.workers.setConnected(away, m, {}, { pool: 'p', tags: [], os: 'linux', arch: 'x64' });
      assert.equal((await db.workers.list({ filters: [{ column: 'pool', op: 'eq', values: ['p'] }] })).length, 2, 'listed again once it connects');
    });

    test('equal source stamps share one row; a patch makes a new one', async () => {
      const a = await db.sourcestamps.findOrCreate({ codebase: 'cb', repository: 'r', branch: 'main', revision: 'abc' }, 1);
      const b = await db.sourcestamps.findOrCreate({ codebase: 'cb', repository: 'r', branch: 'main', revision: 'abc' }, 2);
      assert.equal(a, b);
      const p = await db.sourcestamps.findOrCreate({ codebase: 'cb', repository: 'r', branch: 'main', revision: 'abc', patch: { level: 1, body: Buffer.from('diff') } }, 3);
      assert.notEqual(p, a);
      const row = await db.sourcestamps.get(p);
      assert.equal(row?.patch?.body.toString(), 'diff');
    });

    test('a build request can be claimed only once, and a claim of several is all or nothing', async () => {
      const builderid = await db.builders.findOrCreate('claims');
      const { brids } = await db.buildsets.add({ sourcestampids: [], reason: 'r', properties: {}, builderids: [builderid], waited_for: false, external_idstring: null, parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: 10 });
      const b2 = await db.buildsets.add({ sourcestampids: [], reason: 'r', properties: {}, builderids: [builderid], waited_for: false, external_idstring: null, parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: 11 });
      const r1 = brids[builderid]!; const r2 = b2.brids[builderid]!;
      assert.equal(await db.buildrequests.claim([r1], 1, 20), true);
      assert.equal(await db.buildrequests.claim([r2, r1], 2, 21), false);
      assert.equal((await db.buildrequests.get(r2))?.claimed_by_masterid, null, 'the failed claim left no partial claim');
      assert.equal(await db.buildrequests.complete([r1], 0, 30, 2), false, 'only the claiming master completes');
      assert.equal(await db.buildrequests.complete([r1], 0, 30, 1), true);
      assert.equal(await db.buildrequests.claim([r1], 1, 40), false, 'a complete request cannot be claimed');
      assert.deepEqual(await db.buildrequests.unclaim([r1], 1), [], 'a complete request stays claimed');
    });

    test('pending requests come in one query ordered by priority then submission time', async () => {
      const builderid = await db.builders.findOrCreate('prio');
      const add = (priority: number, submitted_at: number) => db.buildsets.add({ sourcestampids: [], reason: 'r', properties: {}, builderids: [builderid], waited_for: false, external_idstring: null, parent_buildid: null, parent_relationship: null, priority, submitted_at });
      const low = (await add(0, 1)).brids[builderid]!;
      const high = (await add(5, 2)).brids[builderid]!;
      const early = (await add(0, 0)).brids[builderid]!;
      const mine = (await db.buildrequests.pending()).filter((r) => r.builderid === builderid).map((r) => r.id);
      assert.deepEqual(mine, [high, early, low]);
    });

    test('build numbers count up per builder, and step names are made unique per build', async () => {
      const b = await db.builders.findOrCreate('numbers');
      const x = await db.builders.findOrCreate('numbers-other');
      const one = await db.builds.add({ builderid: b, buildrequestid: 1, workerid: 1, masterid: 1, state_string: 's', started_at: 1 });
      const two = await db.builds.add({ builderid: b, buildrequestid: 2, workerid: 1, masterid: 1, state_string: 's', started_at: 1 });
      const other = await db.builds.add({ builderid: x, buildrequestid: 3, workerid: 1, masterid: 1, state_string: 's', started_at: 1 });
      assert.deepEqual([one.number, two.number, other.number], [1, 2, 1]);
      const s1 = await db.steps.add(one.buildid, 'compile');
      const s2 = await db.steps.add(one.buildid, 'compile');
      const s3 = await db.steps.add(one.buildid, 'compile');
      assert.deepEqual([s1.name, s2.name, s3.name], ['compile', 'compile_1', 'compile_2']);
      assert.deepEqual([s1.number, s2.number, s3.number], [0, 1, 2]);
      assert.deepEqual((await db.builds.unfinished(1)).map((r) => r.id).filter((id) => id === one.buildid), [one.buildid]);
      await db.builds.finish(one.buildid, 0, 5);
      assert.equal((await db.builds.unfinished(1)).some((r) => r.id === one.buildid), false);
    });

    test('builds started concurrently on one builder get distinct consecutive numbers', async () => {
      const b = await db.builders.findOrCreate('concurrent');
      const res = await Promise.all(Array.from({ length: 20 }, (_, i) => db.builds.add({ builderid: b, buildrequestid: i, workerid: 1, masterid: 1, state_string: '', started_at: 1 })));
      assert.deepEqual(res.map((r) => r.number).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test('concurrent claims of the same requests by two masters: exactly one wins', async () => {
      const b = await db.builders.findOrCreate('race');
      const brids: number[] = [];
      for (let i = 0; i < 3; i++) brids.push((await db.buildsets.add({ sourcestampids: [], reason: 'r', properties: {}, builderids: [b], waited_for: false, external_idstring: null, parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: i })).brids[b]!);
      const results = await Promise.all([db.buildrequests.claim(brids, 1, 1), db.buildrequests.claim([...brids].reverse(), 2, 1)]);
      assert.deepEqual(results.filter(Boolean).length, 1);
      const owners = new Set((await db.buildrequests.getMany(brids)).map((r) => r.claimed_by_masterid));
      assert.equal(owners.size, 1, 'all three requests belong to the same master');
    });

    test('build properties are upserted and keep their source', async () => {
      const b = await db.builders.findOrCreate('props');
      const { buildid } = await db.builds.add({ builderid: b, buildrequestid: 1, workerid: 1, masterid: 1, state_string: '', started_at: 1 });
      await db.builds.setProperties(buildid, { a: [1, 'x'], b: [{ deep: true }, 'y'] });
      await db.builds.setProperties(buildid, { a: [2, 'z'] });
      assert.deepEqual((await db.builds.getProperties([buildid])).get(buildid), { a: [2, 'z'], b: [{ deep: true }, 'y'] });
    });

    test('object state round-trips JSON values and overwrites', async () => {
      const id = await db.state.objectId('poller', 'GitPoller');
      assert.equal(await db.state.objectId('poller', 'GitPoller'), id);
      assert.equal(await db.state.get(id, 'lastRev'), undefined);
      await db.state.set(id, 'lastRev', { main: 'abc' });
      await db.state.set(id, 'lastRev', { main: 'def' });
      assert.deepEqual(await db.state.get(id, 'lastRev'), { value: { main: 'def' } });
    });

    test('a scheduler is owned by one active master at a time', async () => {
      const m1 = await db.masters.findOrCreate('sm1', 1); await db.masters.setActive(m1, true, 1);
      const m2 = await db.masters.findOrCreate('sm2', 1); await db.masters.setActive(m2, true, 1);
      const s = await db.schedulers.findOrCreate('sched');
      assert.equal(await db.schedulers.trySetMaster(s, m1), true);
      assert.equal(await db.schedulers.trySetMaster(s, m2), false);
      await db.masters.setActive(m1, false, 2);
      assert.equal(await db.schedulers.trySetMaster(s, m2), true, 'an inactive master loses its schedulers');
    });

    test('10,000 pending build requests load in one call (its speed is measured by the bench, scenario 6)', async () => {
      const builderid = await db.builders.findOrCreate('many');
      const ids = Array.from({ length: 10 }, (_, i) => i);
      for (const _ of ids) {
        await db.kysely.insertInto('buildrequests').values(Array.from({ length: 1000 }, (_, j) => ({
          buildsetid: 1, builderid, priority: j % 3, complete: 0, results: null, submitted_at: j, complete_at: null, waited_for: 0,
        }))).execute();
      }
      const pending = await db.buildrequests.pending();
      assert.equal(pending.filter((r) => r.builderid === builderid).length, 10000);
    });
  });
}

test('a file database keeps its data across reopen and records the applied migration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-db-'));
  try {
    let db = await openDatabase('sqlite:state.sqlite', { baseDir: dir });
    const id = await db.builders.findOrCreate('persisted');
    await db.close();
    db = await openDatabase(`sqlite:${join(dir, 'state.sqlite')}`);
    assert.equal(await db.builders.findId('persisted'), id);
    const rows = await db.kysely.selectFrom('mastro_migrations').selectAll().execute();
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    await db.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('an unknown database URL scheme is refused with a message naming the accepted forms', async () => {
  await assert.rejects(openDatabase('mysql://u:secret@h/db'), (err: Error) => /sqlite:state\.sqlite/.test(err.message) && !err.message.includes('secret'));
});
