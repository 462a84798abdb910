import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { parseResultSpec } from '../src/data/resultspec.js';
import { BadQueryError, NotFoundError } from '../src/data/errors.js';

test('query parameters parse into fields, order, paging, properties and filters with operators', () => {
  const spec = parseResultSpec({ field: ['a,b', 'c'], order: '-number', limit: '10', offset: '5', property: '*', results: '0,2', number__lt: '7', name__contains: 'x' });
  assert.deepEqual(spec.fields, ['a', 'b', 'c']);
  assert.deepEqual(spec.order, ['-number']);
  assert.equal(spec.limit, 10); assert.equal(spec.offset, 5);
  assert.deepEqual(spec.properties, ['*']);
  assert.deepEqual(spec.filters, [
    { field: 'results', op: 'eq', values: ['0', '2'] },
    { field: 'number', op: 'lt', values: ['7'] },
    { field: 'name', op: 'contains', values: ['x'] },
  ]);
  assert.throws(() => parseResultSpec({ limit: 'ten' }), BadQueryError);
});

for (const engine of engines()) {
  describe(`data getters on ${engine.name}`, () => {
    let db: Db; let data: DataConnector;
    before(async () => {
      db = await engine.open();
      data = new DataConnector(db, new InProcessMessageQueue());
      await data.updates.masterActive('m');
      for (const [author, comments] of [['Ann', 'Fix 100% of bugs'], ['bob', 'fix_it'], ['Carl', 'FIX later']]) {
        await data.updates.addChange({ author: author!, committer: author!, comments: comments!, branch: 'main', repository: 'r' });
      }
    });
    after(async () => { await db.close(); });

    test('__contains is a case-sensitive substring match where % and _ are literal', async () => {
      const by = async (s: string) => (await data.getList<any>(['changes'], { filters: [{ field: 'comments', op: 'contains', values: [s] }] })).map((c) => c.author);
      assert.deepEqual(await by('fix'), ['bob']);
      assert.deepEqual(await by('100%'), ['Ann']);
      assert.deepEqual(await by('_'), ['bob']);
    });

    test('several values for one equality filter match any of them; __ne with several matches none', async () => {
      const eq = await data.getList<any>(['changes'], { filters: [{ field: 'author', op: 'eq', values: ['Ann', 'Carl'] }] });
      assert.deepEqual(eq.map((c) => c.author), ['Ann', 'Carl']);
      const ne = await data.getList<any>(['changes'], { filters: [{ field: 'author', op: 'ne', values: ['Ann', 'Carl'] }] });
      assert.deepEqual(ne.map((c) => c.author), ['bob']);
    });

    test('filters and order on fields without a column are applied in memory with the same paging', async () => {
      const r = await data.get(['changes'], { filters: [{ field: 'files', op: 'eq', values: ['nothing'] }] });
      assert.equal(r.kind === 'collection' && r.total, 0);
      const sorted = await data.get(['changes'], { filters: [{ field: 'files', op: 'ne', values: ['nothing'] }], order: ['-committer'], limit: 1, offset: 1 });
      assert.ok(sorted.kind === 'collection');
      assert.equal(sorted.total, 3);
      assert.deepEqual(sorted.items.map((c) => c.committer), ['Carl']);
    });

    test('unknown paths are NotFoundError and unknown fields BadQueryError', async () => {
      await assert.rejects(data.get(['nowhere']), NotFoundError);
      await assert.rejects(data.get(['changes', 999]), NotFoundError);
      await assert.rejects(data.get(['changes'], { order: ['-bogus'] }), BadQueryError);
      assert.equal(await data.getOne(['changes', 999]), undefined);
    });
  });
}
