/**
 * A build's writes through a database outage (src/process/resilient-updates.ts), on a real SQLite
 * database whose write lock another process holds (SQLITE_BUSY past the busy timeout): a write is
 * retried until the database has room again and then lands exactly once, with the step numbered
 * and named as it would have been; other errors pass at once; a long outage ends in an error that
 * names db.outageTimeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/index.js';
import { OutageTimeoutError } from '../src/db/outage-retry.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { UnknownEntityError } from '../src/data/errors.js';
import { resilientUpdates } from '../src/process/resilient-updates.js';
import { addTestBuild } from './support/data-build.js';

interface Logged { level: string; msg?: string }

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-resilient-'));
  const file = join(dir, 'state.sqlite');
  const db = await openDatabase(`sqlite:${file}`, { busyTimeoutMs: 20 });
  const data = new DataConnector(db, new InProcessMessageQueue());
  const { buildid } = await addTestBuild(data.updates);
  await db.durable();
  const logged: Logged[] = [];
  const log = { info: (_o: unknown, msg?: string) => logged.push({ level: 'info', msg }), warn: (_o: unknown, msg?: string) => logged.push({ level: 'warn', msg }), error: () => {}, debug: () => {}, trace: () => {} };
  return { db, data, buildid, logged, log, file, close: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Another process holds the database's write lock (as a second master or a `sqlite3` shell would):
 * every write here fails with SQLITE_BUSY once the busy timeout has passed, until `release()`.
 */
function holdWriteLock(file: string): { release(): void } {
  const other = new Database(file, { timeout: 0 });
  other.exec('BEGIN IMMEDIATE');
  return { release: () => { other.exec('COMMIT'); other.close(); } };
}

test('a write that meets a locked database is retried until the lock is gone, then stored once with the number and name it would have had', async () => {
  const t = await setup();
  const keepAlive = setInterval(() => {}, 1000); // the retry timers are unref'd
  try {
    await t.data.updates.addStep({ buildid: t.buildid, name: 'first' });
    const updates = resilientUpdates(t.data.updates, { health: t.db.health, timeoutMs: 60_000, log: t.log });
    await t.db.durable();
    const lock = holdWriteLock(t.file);
    let done = false;
    const adding = updates.addStep({ buildid: t.buildid, name: 'second' }).finally(() => { done = true; });
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(done, false, 'the write waits for the database');
    assert.equal(t.db.health.outage?.reason, 'SQLITE_BUSY');
    lock.release();
    const added = await adding;
    assert.deepEqual([added.number, added.name], [1, 'second'], 'not renumbered or renamed by the failed attempts');
    const steps = ((await t.data.get(['builds', t.buildid, 'steps'])) as any).items;
    assert.deepEqual(steps.map((s: any) => s.name), ['first', 'second'], 'stored once');
    assert.deepEqual(t.logged.map((l) => l.level), ['warn', 'info'], 'one warning when it begins to wait, one line when it is stored');
    assert.match(t.logged[0]!.msg!, /database is unreachable \(SQLITE_BUSY\).*addStep waits/);
  } finally {
    clearInterval(keepAlive);
    await t.close();
  }
});

test('an error of the call itself is not retried', async () => {
  const t = await setup();
  try {
    const updates = resilientUpdates(t.data.updates, { health: t.db.health, timeoutMs: 60_000, log: t.log });
    await assert.rejects(updates.appendLog(4242, 'x\n'), UnknownEntityError);
    assert.deepEqual(t.logged, []);
  } finally {
    await t.close();
  }
});

test('an outage longer than the timeout ends the write with an error that names db.outageTimeout', async () => {
  const t = await setup();
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const updates = resilientUpdates(t.data.updates, { health: t.db.health, timeoutMs: 700, log: t.log });
    await t.db.durable();
    const lock = holdWriteLock(t.file);
    try {
      await assert.rejects(updates.addStep({ buildid: t.buildid, name: 'late' }), (err: unknown) => err instanceof OutageTimeoutError && /db\.outageTimeout/.test(err.message) && err.outage.reason === 'SQLITE_BUSY');
    } finally { lock.release(); }
  } finally {
    clearInterval(keepAlive);
    await t.close();
  }
});
