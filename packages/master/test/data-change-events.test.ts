import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { openDatabase } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';

test('a deferred change event is published after the caller\'s reply was read, in the order the changes were added', async () => {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const order: string[] = [];
  const delivered = new Promise<void>((resolve) => {
    mq.subscribe(['changes', null, 'new'], (_k, c: any) => { order.push(`event ${c.revision}`); if (c.revision === 'r2') resolve(); });
  });
  // A change hook in miniature: store the changes, then answer.
  const server = createServer(async (_req, res) => {
    await data.updates.addChange({ author: 'a', revision: 'r1' }, { deferEvent: true });
    await data.updates.addChange({ author: 'a', revision: 'r2' }, { deferEvent: true });
    order.push('stored');
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, method: 'POST' }, (res) => { res.resume(); res.on('end', () => { order.push('reply read'); resolve(); }); }).on('error', reject).end();
  });
  await delivered;
  assert.deepEqual(order, ['stored', 'reply read', 'event r1', 'event r2']);
  server.close();
  await db.close();
});

test('without deferEvent the change event is published before addChange resolves', async () => {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const seen: number[] = [];
  mq.subscribe(['changes', null, 'new'], (_k, c: any) => seen.push(c.changeid));
  const id = await data.updates.addChange({ author: 'a', revision: 'r1' });
  assert.deepEqual(seen, [id]);
  await db.close();
});
