/**
 * The base change hook answers and stores what Buildbot 3.7 does: 200 "1 change found" (Buildbot
 * means 202 but writes the body first, so its clients see 200), and `committer` stays null when
 * the form has none instead of being copied from the author. mastro's own clients accept it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { sendChange } from '../src/changes/sendchange-client.js';

describe('base change hook', () => {
  let db: Db; let data: DataConnector; let server: HttpServer; let base = '';
  const change = async (revision: string) => {
    const r = await fetch(`${base}/api/v2/changes?revision=${revision}`);
    return ((await r.json()) as any).changes[0];
  };

  before(async () => {
    db = await openDatabase('sqlite::memory:');
    data = new DataConnector(db, new InProcessMessageQueue());
    await data.updates.masterActive('m');
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1', changeHooks: { base: {} } });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('a change is answered 200 "1 change found", as Buildbot clients see it', async () => {
    const r = await fetch(`${base}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ author: 'Alice <a@example.com>', revision: 'r200' }) });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '1 change found');
  });

  test('without a committer field the change has committer null, not the author', async () => {
    await fetch(`${base}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ author: 'Alice <a@example.com>', revision: 'nocommitter' }) });
    const c = await change('nocommitter');
    assert.equal(c.author, 'Alice <a@example.com>');
    assert.equal(c.committer, null);
    // Read back from the database too (a fresh read, not the shaped insert).
    assert.equal((await data.getOne<{ committer: string | null }>(['changes', c.changeid]))!.committer, null);
  });

  test('a committer field is kept as given', async () => {
    await fetch(`${base}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ author: 'Alice', committer: 'Cy <cy@example.com>', revision: 'withcommitter' }) });
    assert.equal((await change('withcommitter')).committer, 'Cy <cy@example.com>');
  });

  test('mastro sendchange accepts the 200 answer', async () => {
    const r = await sendChange({ master: base, who: 'Bob', revision: 'viaclient', comments: 'c' });
    assert.equal(r.status, 200);
    assert.equal((await change('viaclient')).author, 'Bob');
  });
});
