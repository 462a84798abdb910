/**
 * Which database failures count as an outage (kept and retried) and which are errors of the call
 * (reported at once): checked on errors the real drivers throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { describeOutage, outageOf } from '../src/db/outage.js';
import { DatabaseHealth } from '../src/db/health.js';

/** What `fn` throws. */
async function thrown(fn: () => unknown): Promise<unknown> {
  try { await fn(); } catch (err) { return err; }
  throw new Error('expected a failure');
}

test('a PostgreSQL server that refuses connections is an unreachable database', async () => {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  const err = await thrown(() => client.connect());
  assert.deepEqual(outageOf(err), { kind: 'unreachable', reason: 'ECONNREFUSED' });
});

test('node-postgres errors without a code, and server shutdown SQLSTATEs, are an unreachable database', () => {
  assert.equal(outageOf(new Error('Connection terminated unexpectedly'))?.kind, 'unreachable');
  assert.equal(outageOf(new Error('timeout exceeded when trying to connect'))?.kind, 'unreachable');
  assert.equal(outageOf(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))?.reason, '57P01');
  assert.equal(outageOf(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))?.kind, 'unreachable');
  assert.equal(outageOf(Object.assign(new Error('could not extend file'), { code: '53100' }))?.kind, 'disk-full');
});

test('SQLite running out of room is a full disk, also behind a wrapping error and in an AggregateError', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    const full = (() => { try { db.prepare('INSERT INTO t VALUES (zeroblob(100000))').run(); } catch (e) { return e; } return null; })();
    assert.equal((full as { code?: string }).code, 'SQLITE_FULL');
    assert.deepEqual(outageOf(full), { kind: 'disk-full', reason: 'SQLITE_FULL' });
    // The group commit reports an earlier failed commit as its cause.
    assert.equal(outageOf(new Error('an earlier group commit of the SQLite database failed', { cause: full }))?.kind, 'disk-full');
    assert.equal(outageOf(new AggregateError([new Error('x'), full]))?.kind, 'disk-full');
  } finally {
    db.close();
  }
});

test('errors of the call itself are not an outage', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (1)').run();
    const dup = (() => { try { db.prepare('INSERT INTO t VALUES (1)').run(); } catch (e) { return e; } return null; })();
    assert.equal(outageOf(dup), null);
    const bad = (() => { try { db.prepare('SELECT nope FROM t'); } catch (e) { return e; } return null; })();
    assert.equal(outageOf(bad), null);
    assert.equal(outageOf(new TypeError('x is undefined')), null);
    assert.equal(outageOf(undefined), null);
  } finally {
    db.close();
  }
});

test('the outage description says what is wrong and what happens next', () => {
  assert.match(describeOutage({ kind: 'unreachable', reason: 'ECONNREFUSED' }), /^the database is unreachable \(ECONNREFUSED\); .*once the database is back/);
  assert.match(describeOutage({ kind: 'disk-full', reason: 'SQLITE_FULL' }), /^the disk holding the database is full \(SQLITE_FULL\); free some space/);
});

test('the health announces an outage once when it begins or changes kind, and once when a write works again', () => {
  const h = new DatabaseHealth();
  const seen: Array<string | null> = [];
  const off = h.subscribe((o) => seen.push(o?.kind ?? null));
  assert.equal(h.failed(new Error('bad query')), null);
  h.failed(new Error('Connection terminated unexpectedly'));
  h.failed(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
  h.failed(Object.assign(new Error('full'), { code: 'SQLITE_FULL' }));
  assert.equal(h.outage?.kind, 'disk-full');
  h.worked();
  h.worked();
  off();
  h.failed(Object.assign(new Error('full'), { code: 'ENOSPC' }));
  assert.deepEqual(seen, ['unreachable', 'disk-full', null]);
});
