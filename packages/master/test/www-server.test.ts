/**
 * createHttpServer's own options (www/server.ts): one bodyLimit default, the config's, and no option
 * it does not know. A real fastify server on loopback over SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../src/db/index.js';
import { DataConnector } from '../src/data/connector.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { createHttpServer, type HttpServerOptions } from '../src/www/server.js';
import { normaliseConfig } from '../src/config/normalise.js';

async function data(t: { after(fn: () => Promise<void>): void }): Promise<DataConnector> {
  const db = await openDatabase('sqlite::memory:');
  t.after(() => db.close());
  return new DataConnector(db, new InProcessMessageQueue());
}

test("without a bodyLimit a request body over the config's default (1 MiB) gets 413", async (t) => {
  const server = await createHttpServer({ data: await data(t), port: 0, host: '127.0.0.1' });
  t.after(() => server.close());
  const limit = normaliseConfig({}, { masterDir: '/tmp/m' }).www!.bodyLimit;
  const post = (bytes: number) => fetch(`http://127.0.0.1:${server.port}/api/v2/builds/1`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'stop', id: 1, params: { reason: 'x'.repeat(bytes) } }),
  });
  assert.equal((await post(limit + 1024)).status, 413);
  assert.notEqual((await post(1024)).status, 413);
});

test('an option createHttpServer does not know is refused, naming the one it meant', async (t) => {
  const opts = { data: await data(t), port: 0, host: '127.0.0.1', bodylimit: 4096 } as unknown as HttpServerOptions;
  await assert.rejects(createHttpServer(opts), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MASTRO_OPTION_UNKNOWN');
    assert.match(err.message, /^createHttpServer: unknown option 'bodylimit' \(did you mean 'bodyLimit'\?\); known options are: data, /);
    return true;
  });
});
