/**
 * A PostgreSQL server that restarts (or a proxy that cuts its connections) makes the pool's idle
 * connections fail. That must not end the master: the failure is reported and the next query
 * opens a new connection. The connections are cut by a TCP proxy in front of MASTRO_TEST_PG_URL,
 * so the shared server stays up for the other tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/db/index.js';
import { tcpProxy } from './support/tcp-proxy.js';

const pgUrl = process.env.MASTRO_TEST_PG_URL;

async function dropSchema(schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
}

const freshSchema = () => `test_${randomBytes(6).toString('hex')}`;

test('idle PostgreSQL connections that fail are reported and replaced; the process goes on', { skip: pgUrl ? false : 'MASTRO_TEST_PG_URL is not set' }, async () => {
  const proxy = await tcpProxy(new URL(pgUrl!));
  const schema = freshSchema();
  const errors: Error[] = [];
  let reported!: () => void;
  const failed = new Promise<void>((r) => { reported = r; });
  const db = await openDatabase(proxy.url, { schema, poolSize: 2, onConnectionError: (err) => { errors.push(err); reported(); } });
  try {
    assert.equal(await db.webSessions.count(), 0);
    proxy.cut();
    await failed;
    assert.ok(errors.length >= 1, 'the failure of the idle connection was reported');
    assert.equal(await db.webSessions.count(), 0, 'the next query runs on a new connection');
  } finally {
    await db.close();
    await proxy.close();
    await dropSchema(schema);
  }
});

test('without a listener the failure becomes a process warning, not an exit', { skip: pgUrl ? false : 'MASTRO_TEST_PG_URL is not set' }, async () => {
  const proxy = await tcpProxy(new URL(pgUrl!));
  const schema = freshSchema();
  const db = await openDatabase(proxy.url, { schema, poolSize: 1 });
  try {
    await db.webSessions.count();
    const warned = new Promise<Error>((resolve) => {
      const onWarning = (w: Error) => { if (w.name === 'MastroDatabaseWarning') { process.off('warning', onWarning); resolve(w); } };
      process.on('warning', onWarning);
    });
    proxy.cut();
    const w = await warned;
    assert.match(w.message, /idle PostgreSQL connection failed/);
    await db.webSessions.count();
  } finally {
    await db.close();
    await proxy.close();
    await dropSchema(schema);
  }
});
