/**
 * src/data/log-constants.ts: the stream codes, sizes and defaults the step's side of a log
 * (BufferedStepLog) and the store (LogStore, log-reader) share. Checked through both sides together
 * on a real SQLite database, so a code or size changed on one side only shows here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { streamLog } from '../src/data/log-reader.js';
import { LogStore } from '../src/data/log-store.js';
import { LOG_STORE_DEFAULTS, STEP_LOG_DEFAULTS, STORE_SCRATCH_BYTES, STREAM_CODES } from '../src/data/log-constants.js';
import { BufferedStepLog } from '../src/process/step-log.js';
import { Redactor } from '../src/process/redactor.js';
import { addTestBuild } from './support/data-build.js';

async function stdioLog(t: { after(fn: () => Promise<void>): void }) {
  const db = await openDatabase('sqlite::memory:');
  t.after(() => db.close());
  const data = new DataConnector(db, new InProcessMessageQueue());
  const { buildid } = await addTestBuild(data.updates);
  const { stepid } = await data.updates.addStep({ buildid, name: 'shell' });
  const logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
  return { db, data, logid };
}

test("a step's header, stdout and stderr come back from the store with Buildbot's codes h, o, e, and without them raw", async (t) => {
  const { db, data, logid } = await stdioLog(t);
  const log = new BufferedStepLog(data.updates, logid, 'stdio', 's', new Redactor());
  log.addHeader('make test\n');
  log.addStdout(Buffer.from('ok 1\nok 2\n'));
  log.addStderr('warning: x\n');
  await log.finish();
  assert.deepEqual(STREAM_CODES, { stdout: 'o', stderr: 'e', header: 'h' });
  assert.equal(await data.getLogLines(logid, 0, 10), 'hmake test\nook 1\nook 2\newarning: x\n');
  let raw = '';
  for await (const page of streamLog(db, new LogStore(db), logid, 's')) raw += page;
  assert.equal(raw, 'make test\nok 1\nok 2\nwarning: x\n');
});

test('output larger than a default step log append and a stored chunk reaches the store whole', async (t) => {
  // The store encodes a big text append into its reused scratch buffer: a default append must fit it.
  assert.ok(STORE_SCRATCH_BYTES >= STEP_LOG_DEFAULTS.maxAppendBytes);
  assert.ok(STEP_LOG_DEFAULTS.flushBytes <= STEP_LOG_DEFAULTS.maxAppendBytes);
  const { data, logid } = await stdioLog(t);
  const log = new BufferedStepLog(data.updates, logid, 'stdio', 's', new Redactor());
  const line = 'x'.repeat(99) + '\n';
  const lines = Math.ceil((STEP_LOG_DEFAULTS.maxAppendBytes * 1.5) / line.length);
  for (let i = 0; i < lines; i++) log.addStdout(line);
  await log.finish();
  const text = await data.getLogLines(logid, 0, lines);
  assert.equal(text.length, lines * (line.length + 1));
  assert.ok(lines * line.length > LOG_STORE_DEFAULTS.logChunkSize, 'the output spans several stored chunks');
});
