import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';

for (const engine of engines()) {
  describe(`db hot paths on ${engine.name}`, () => {
    let db: Db;
    before(async () => { db = await engine.open(); });
    after(async () => { await db.close(); });

    async function requests(n: number) {
      const builderid = await db.builders.findOrCreate(`b${Math.random()}`);
      const { brids } = await db.buildsets.add({
        sourcestampids: [], reason: 'r', properties: {}, builderids: [builderid], waited_for: false, external_idstring: null,
        parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: 10,
      });
      const out = [brids[builderid]!];
      for (let i = 1; i < n; i++) out.push(...Object.values((await db.buildsets.add({
        sourcestampids: [], reason: 'r', properties: {}, builderids: [builderid], waited_for: false, external_idstring: null,
        parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: 10,
      })).brids));
      return out;
    }

    test('a claim returns the claimed rows as stored, and null (claiming nothing) when any is taken or unknown', async () => {
      const [a, b] = await requests(2);
      const rows = await db.buildrequests.claimRows([b!, a!], 7, 99);
      assert.deepEqual(rows, await db.buildrequests.getMany([a!, b!]));
      assert.deepEqual(rows!.map((r) => [r.id, r.claimed_by_masterid, r.claimed_at]), [[a, 7, 99], [b, 7, 99]]);
      const [c] = await requests(1);
      assert.equal(await db.buildrequests.claimRows([c!, a!], 8, 100), null);
      assert.equal((await db.buildrequests.get(c!))!.claimed_by_masterid, null, 'nothing of a failed claim is kept');
      assert.equal(await db.buildrequests.claimRows([c!, 987654], 8, 100), null, 'an unknown request fails the claim');
    });

    test('completing returns the completed rows as stored, and null when one is not claimed by that master', async () => {
      const [a] = await requests(1);
      await db.buildrequests.claimRows([a!], 3, 5);
      assert.equal(await db.buildrequests.completeRows([a!], 0, 50, 4), null);
      const rows = await db.buildrequests.completeRows([a!], 2, 50, 3);
      assert.deepEqual(rows, await db.buildrequests.getMany([a!]));
      assert.deepEqual(rows!.map((r) => [r.complete, r.results, r.complete_at]), [[true, 2, 50]]);
    });

    test('build numbers continue after a number taken by another master', async () => {
      const builderid = await db.builders.findOrCreate('numbers-hot');
      const add = () => db.builds.add({ builderid, buildrequestid: 1, workerid: 1, masterid: 1, state_string: '', started_at: 1 });
      assert.equal((await add()).number, 1);
      assert.equal((await add()).number, 2);
      // Another master writes number 3 directly.
      await db.kysely.insertInto('builds').values({ builderid, buildrequestid: 2, workerid: 1, masterid: 2, state_string: '', started_at: 1, number: 3, complete_at: null, results: null }).execute();
      assert.equal((await add()).number, 4);
      assert.equal((await add()).number, 5);
    });

    test('a buildset read from memory is a copy: editing it changes nothing stored or cached', async () => {
      const ssid = await db.sourcestamps.findOrCreate({ codebase: '', repository: 'r', branch: 'main', revision: 'abc', project: '' }, 1);
      assert.equal(await db.sourcestamps.findOrCreate({ codebase: '', repository: 'r', branch: 'main', revision: 'abc', project: '' }, 2), ssid);
      const { bsid } = await db.buildsets.add({
        sourcestampids: [ssid], reason: 'r', properties: { p: [1, 'Test'] }, builderids: [], waited_for: false, external_idstring: null,
        parent_buildid: null, parent_relationship: null, priority: 0, submitted_at: 10,
      });
      const first = (await db.buildsets.get(bsid))!;
      first.properties.q = [2, 'Mutation'];
      first.sourcestampids.push(12345);
      const again = (await db.buildsets.get(bsid))!;
      assert.deepEqual(again.properties, { p: [1, 'Test'] });
      assert.deepEqual(again.sourcestampids, [ssid]);
      const ss = (await db.sourcestamps.get(ssid))!;
      ss.revision = 'edited';
      assert.equal((await db.sourcestamps.get(ssid))!.revision, 'abc');
    });
  });
}
