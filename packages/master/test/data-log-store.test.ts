import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { withLineCodes, LogStore } from '../src/data/log-store.js';
import { LogCompressor } from '../src/data/log-compressor.js';
import { streamLog } from '../src/data/log-reader.js';

test('withLineCodes puts the stream code before every line, of text and of the latin1 view of UTF-8 bytes alike', () => {
  assert.equal(withLineCodes('one\ntwo\n', 'o'), 'oone\notwo\n');
  assert.equal(withLineCodes('grüße\n€\n', 'e'), 'egrüße\ne€\n');
  const bytes = Buffer.from('grüße\n€\n', 'utf8');
  assert.equal(Buffer.from(withLineCodes(bytes.toString('latin1'), 'h'), 'latin1').toString('utf8'), 'hgrüße\nh€\n');
});

test('the compressor deflates what shrinks, stores the rest as is, and finishes every job with a bounded pool', async () => {
  const c = new LogCompressor(1, 1, 16);
  const inputs = Array.from({ length: 6 }, (_, i) => Buffer.from(`chunk ${i} `.repeat(500)));
  const out = await Promise.all([...inputs.map((b) => c.compress(b)), c.compress(Buffer.from('tiny'))]);
  for (let i = 0; i < inputs.length; i++) {
    assert.equal(out[i]!.compressed, 1);
    assert.deepEqual(inflateSync(out[i]!.content), inputs[i]);
  }
  assert.deepEqual(out[6], { content: Buffer.from('tiny'), compressed: 0 });
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3) * 104729) & 0xff));
  const r = await c.compress(random);
  if (r.compressed === 0) assert.equal(r.content, random);
  else assert.ok(r.content.length < random.length);
});

for (const engine of engines()) {
  describe(`log store on ${engine.name}`, () => {
    let db: Db; let data: DataConnector; let logid: number; let stepid: number;
    before(async () => {
      db = await engine.open();
      data = new DataConnector(db, new InProcessMessageQueue(), { logChunkSize: 1024, logFlushDelayMs: 5, logMaxSize: null });
      const masterid = await data.updates.masterActive('m');
      const builderid = await data.updates.findBuilderId('b');
      const workerid = await data.updates.findWorkerId('w');
      const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
      const { buildid } = await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: '' });
      ({ stepid } = await data.updates.addStep({ buildid, name: 'big' }));
      logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
    });
    after(async () => { await db.close(); });

    test('big mixed-stream appends read back line for line and byte for byte, across chunk boundaries', async () => {
      const expected: string[] = [];
      for (let a = 0; a < 30; a++) {
        const stream = a % 3 === 2 ? 'e' : 'o';
        const lines = Array.from({ length: 50 + a }, (_, i) => `${a}:${i} ${a === 7 && i === 3 ? 'ü€'.repeat(800) : 'x'.repeat(i % 40)}`);
        await data.updates.appendLog(logid, lines.join('\n') + '\n', stream);
        expected.push(...lines.map((l) => stream + l));
      }
      await data.updates.finishLog(logid);
      assert.equal((await db.logs.get(logid))?.num_lines, expected.length);
      assert.equal(await data.getLogLines(logid, 0, expected.length), expected.join('\n') + '\n');
      assert.equal(await data.getLogLines(logid, 390, 392), expected.slice(390, 393).join('\n') + '\n');
      let raw = '';
      for await (const page of streamLog(db, new LogStore(db), logid, 's')) raw += page;
      assert.equal(raw, expected.map((l) => l.slice(1) + '\n').join(''));
      const rows = await db.kysely.selectFrom('logchunks').select(['first_line', 'last_line']).where('logid', '=', logid).orderBy('first_line').execute();
      assert.ok(rows.length > 30, `${rows.length} chunk rows`);
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.first_line, rows[i - 1]!.last_line + 1);
    });

    test('big appends to several logs at once, small ones between, each read back exactly', async () => {
      const ids = [await data.updates.addLog({ stepid, name: 'a', type: 's' }), await data.updates.addLog({ stepid, name: 'b', type: 't' })];
      const expected: string[][] = [[], []];
      for (let round = 0; round < 12; round++) {
        await Promise.all(ids.map(async (id, n) => {
          const count = round % 4 === 3 ? 2 : 40 + round; // big (over logChunkSize) and small appends mixed
          const lines = Array.from({ length: count }, (_, i) => `${n}/${round}/${i} ${String.fromCharCode(97 + ((round + i) % 26)).repeat(30)}`);
          await data.updates.appendLog(id, lines.join('\n') + '\n', n === 0 ? 'o' : undefined);
          expected[n]!.push(...lines.map((l) => (n === 0 ? 'o' : '') + l));
        }));
      }
      for (const id of ids) await data.updates.finishLog(id);
      for (let n = 0; n < 2; n++) assert.equal(await data.getLogLines(ids[n]!, 0, 100_000), expected[n]!.join('\n') + '\n');
    });

    test('byte appends of one stream are stored without line codes, the stream named per chunk, and read back like text appends', async () => {
      const id = await data.updates.addLog({ stepid, name: 'bytes', type: 's' });
      const lines = Array.from({ length: 120 }, (_, i) => `line ${i} ${i === 5 ? 'grüße €' : 'y'.repeat(i % 30)}`);
      const text = lines.join('\n') + '\n';
      const bytes = Buffer.from(text, 'utf8');
      // Split mid-way through a multi-byte character: the parts only make sense together.
      const cut = bytes.indexOf(Buffer.from('ü')) + 1;
      await data.updates.appendLog(id, [bytes.subarray(0, cut), bytes.subarray(cut)], 'o');
      await data.updates.finishLog(id);
      const rows = await db.kysely.selectFrom('logchunks').select(['stream', 'content', 'compressed']).where('logid', '=', id).execute();
      assert.ok(rows.length > 1, `${rows.length} chunk rows`);
      for (const r of rows) {
        assert.equal(r.stream, 'o');
        const stored = r.compressed ? inflateSync(r.content) : Buffer.from(r.content);
        assert.ok(stored.toString('utf8').startsWith('line '), 'no code before the first line');
      }
      assert.equal(await data.getLogLines(id, 0, 1000), lines.map((l) => 'o' + l + '\n').join(''));
      assert.equal(await data.getLogLines(id, 5, 5), 'o' + lines[5] + '\n');
      let raw = '';
      for await (const page of streamLog(db, new LogStore(db), id, 's')) raw += page;
      assert.equal(raw, text);
    });

    test('a flush mixing streams is stored with Buildbot per-line codes; bytes without a final newline get one', async () => {
      const id = await data.updates.addLog({ stepid, name: 'mixed', type: 's' });
      const writer = new LogStore(db, { logChunkSize: 1 << 20, logFlushDelayMs: 60_000, logMaxSize: null });
      await writer.append(id, [Buffer.from('out 1\nout 2\n')], 'o');
      await writer.append(id, 'err 1\n', 'e');
      await writer.append(id, [Buffer.from('out 3')], 'o');
      await writer.append(id, 'hcoded header\noalready coded\n');
      await writer.finish(id);
      const rows = await db.kysely.selectFrom('logchunks').select(['stream']).where('logid', '=', id).execute();
      assert.deepEqual(rows.map((r) => r.stream), [null]);
      const expected = ['oout 1', 'oout 2', 'eerr 1', 'oout 3', 'hcoded header', 'oalready coded'];
      assert.equal(await data.getLogLines(id, 0, 100), expected.map((l) => l + '\n').join(''));
      let raw = '';
      for await (const page of streamLog(db, writer, id, 's')) raw += page;
      assert.equal(raw, expected.map((l) => l.slice(1) + '\n').join(''));
    });

    test('byte appends past logMaxSize keep the head and the tail with their stream codes', async () => {
      const id = await data.updates.addLog({ stepid, name: 'capped', type: 's' });
      const writer = new LogStore(db, { logChunkSize: 1024, logFlushDelayMs: 5, logMaxSize: 100, logMaxTailSize: 30 });
      const lines = Array.from({ length: 20 }, (_, i) => `row ${String(i).padStart(2, '0')}`); // 7 bytes + newline each
      await writer.append(id, [Buffer.from(lines.slice(0, 10).join('\n') + '\n')], 'o');
      await writer.append(id, lines.slice(10).join('\n') + '\n', 'e');
      await writer.finish(id);
      const got = await data.getLogLines(id, 0, 1000);
      const head = lines.slice(0, 12).map((l, i) => (i < 10 ? 'o' : 'e') + l + '\n').join('');
      assert.ok(got.startsWith(head), got);
      assert.match(got, /h\.\.\. Output exceeded logMaxSize \(100 bytes\)/);
      assert.ok(got.endsWith(lines.slice(17).map((l) => 'e' + l + '\n').join('')), got);
    });
  });
}
