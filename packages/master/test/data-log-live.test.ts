import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { stripStreamCodesInPlace } from '../src/data/log-reader.js';
import { addTestBuild } from './support/data-build.js';

test('the bus says whether a key has subscribers, by exact and wildcard filters, until they unsubscribe', () => {
  const mq = new InProcessMessageQueue();
  const key = ['logs', '7', 'append'];
  assert.equal(mq.hasSubscribers(key), false);
  const offExact = mq.subscribe(['logs', '7', 'append'], () => {});
  const offOther = mq.subscribe(['logs', '8', 'append'], () => {});
  const offShorter = mq.subscribe(['logs', null], () => {});
  assert.equal(mq.hasSubscribers(key), true);
  offExact();
  assert.equal(mq.hasSubscribers(key), false, 'another log and a shorter filter do not count');
  const offAny = mq.subscribe([null, null, 'append'], () => {});
  assert.equal(mq.hasSubscribers(key), true);
  offAny(); offOther(); offShorter();
  assert.equal(mq.hasSubscribers(key), false);
});

test('stream codes are stripped in place, keeping empty lines and a last line without newline', () => {
  const buf = Buffer.from('ofirst\neerr\nh\n\noünï\notail');
  const out = stripStreamCodesInPlace(buf);
  assert.equal(out.buffer, buf.buffer, 'a view of the same memory');
  assert.equal(out.toString('utf8'), 'first\nerr\n\n\nünï\ntail');
  assert.equal(stripStreamCodesInPlace(Buffer.alloc(0)).length, 0);
});

for (const engine of engines()) {
  describe(`live log lines on ${engine.name}`, () => {
    let db: Db; let mq: InProcessMessageQueue; let data: DataConnector; let stepid: number;
    before(async () => {
      db = await engine.open();
      mq = new InProcessMessageQueue();
      data = new DataConnector(db, mq, { logChunkSize: 1024, logFlushDelayMs: 5, logMaxSize: null });
      const { buildid } = await addTestBuild(data.updates);
      ({ stepid } = await data.updates.addStep({ buildid, name: 'live' }));
    });
    after(async () => { await db.close(); });

    test('appended lines are published to a log subscriber, to a step-log subscriber, and stored either way', async () => {
      const logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
      const big = Array.from({ length: 40 }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n') + '\n';
      await data.updates.appendLog(logid, 'unheard\n', 'o'); // nobody listens yet
      const byLog: Array<{ firstline: number; content: string }> = [];
      const off = mq.subscribe<{ firstline: number; content: string }>(['logs', String(logid), 'append'], (_k, m) => byLog.push({ firstline: m.firstline, content: m.content }));
      await data.updates.appendLog(logid, big, 'o');
      off();
      const byStep: string[] = [];
      const offStep = mq.subscribe<{ content: string }>(['steps', String(stepid), 'logs', 'stdio', 'append'], (_k, m) => byStep.push(m.content));
      await data.updates.appendLog(logid, 'err\n', 'e');
      offStep();
      await data.updates.appendLog(logid, 'unheard again\n', 'o');
      await data.updates.finishLog(logid);
      assert.deepEqual(byLog, [{ firstline: 1, content: big.replace(/^/gm, 'o').slice(0, -1) }]);
      assert.deepEqual(byStep, ['eerr\n']);
      assert.equal(await data.getLogLines(logid, 0, 100), 'ounheard\n' + big.replace(/^/gm, 'o').slice(0, -1) + 'eerr\nounheard again\n');
    });
  });
}
