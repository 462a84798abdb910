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
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/index.js';
import { LogLinesDroppedError } from '../src/data/errors.js';
import { tcpProxy } from './support/tcp-proxy.js';
import { addTestBuild } from './support/data-build.js';

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
      const { buildid } = await addTestBuild(data.updates);
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

/**
 * A database that cannot be written for a while, on each engine: SQLite whose file may not grow
 * (max_page_count: the SQLITE_FULL of a full disk) and PostgreSQL behind a proxy that refuses
 * connections (a stopped server).
 */
interface OutageVariant { name: string; open(): Promise<{ db: Db; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> }

function outageVariants(): OutageVariant[] {
  const list: OutageVariant[] = [{
    name: 'SQLite with a full disk',
    async open() {
      const db = await openDatabase('sqlite::memory:');
      const pragma = async (q: string) => { await sql.raw(q).execute(db.kysely); await db.durable(); };
      return {
        db,
        down: async () => { const [r] = (await sql.raw('PRAGMA page_count').execute(db.kysely)).rows as any[]; await pragma(`PRAGMA max_page_count = ${r.page_count}`); },
        up: () => pragma('PRAGMA max_page_count = 1073741823'),
        close: () => db.close(),
      };
    },
  }];
  const pgUrl = process.env.MASTRO_TEST_PG_URL;
  if (pgUrl) {
    list.push({
      name: 'PostgreSQL refusing connections',
      async open() {
        const proxy = await tcpProxy(new URL(pgUrl));
        const schema = `test_${randomBytes(6).toString('hex')}`;
        const db = await openDatabase(proxy.url, { schema, poolSize: 4, onConnectionError: () => {} });
        return {
          db,
          down: async () => proxy.refuse(true),
          up: async () => proxy.refuse(false),
          async close() {
            await db.close();
            await proxy.close();
            const pg = (await import('pg')).default;
            const c = new pg.Client({ connectionString: pgUrl });
            await c.connect();
            try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
          },
        };
      },
    });
  }
  return list;
}

const numbered = (from: number, to: number, pad = '') => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}${pad}\n`).join('');
/** Lines that do not compress: they need new pages in SQLite, so a file that may not grow refuses them. */
const bulky = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i} ${randomBytes(1500).toString('hex')}\n`).join('');

/** Resolves once the database health reports an outage (a write ran into it). */
function outageSeen(db: Db): Promise<void> {
  return new Promise((resolve, reject) => {
    if (db.health.outage) { resolve(); return; }
    const timer = setTimeout(() => reject(new Error('no write ran into the outage within 30 s')), 30_000);
    const off = db.health.subscribe((o) => { if (o) { off(); clearTimeout(timer); resolve(); } });
  });
}

for (const variant of outageVariants()) {
  describe(`log writer through an outage: ${variant.name}`, () => {
    async function setup(opts: Record<string, unknown> = {}) {
      const v = await variant.open();
      // The writer's retry timers are unref'd (they must not keep a stopping master alive): hold the loop open.
      const keepAlive = setInterval(() => {}, 1000);
      const data = new DataConnector(v.db, new InProcessMessageQueue(), { logChunkSize: 1024, logFlushDelayMs: 5, ...opts });
      const { buildid } = await addTestBuild(data.updates);
      const { stepid } = await data.updates.addStep({ buildid, name: 'out' });
      const logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
      await v.db.durable();
      const stored = async () => { let out = ''; for await (const b of streamLog(v.db, new LogStore(v.db), logid, 's')) out += b.toString('utf8'); return out; };
      /** Stores lines 1..n, takes the database away, appends `held` and waits until a flush ran into the outage. */
      const storeThenFail = async (n: number, held: string) => {
        await data.updates.appendLog(logid, numbered(1, n), 'o');
        await data.updates.compressLog(logid);
        await v.down();
        const seen = outageSeen(v.db);
        await data.updates.appendLog(logid, held, 'o');
        await seen;
      };
      return { ...v, data, logid, stored, storeThenFail, close: async () => { clearInterval(keepAlive); await v.close(); } };
    }

    test('lines appended while the database cannot be written are stored once it can: each once, in order, with the right count', async () => {
      const t = await setup();
      try {
        const first = bulky(51, 60);
        await t.storeThenFail(50, first);
        // More than a chunk at once (the path that waits for its flush), then small appends.
        await t.data.updates.appendLog(t.logid, numbered(61, 400, ' '.repeat(40)), 'o');
        for (let i = 401; i <= 500; i += 10) await t.data.updates.appendLog(t.logid, numbered(i, i + 9), 'e');
        const finished = t.data.updates.finishLog(t.logid);
        let done = false;
        void finished.then(() => { done = true; }, () => { done = true; });
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(done, false, 'finishing waits for the database');
        await t.up();
        await finished;
        const expected = numbered(1, 50) + first + numbered(61, 400, ' '.repeat(40)) + numbered(401, 500);
        assert.equal(await t.stored(), expected);
        const row = await t.db.logs.get(t.logid);
        assert.equal(row?.num_lines, 500);
        assert.equal(row?.complete, true);
      } finally { await t.close(); }
    });

    test('past outageBufferSize the newest lines are dropped into one marker at their place, and append and finish say so', async () => {
      const t = await setup({ outageBufferSize: 40_000 });
      try {
        const held = bulky(11, 20);
        await t.storeThenFail(10, held);
        // Held: 10 lines of 3 KB. These do not fit: dropped, counted in one marker.
        await assert.rejects(t.data.updates.appendLog(t.logid, bulky(21, 30), 'o'), (err: any) => err instanceof LogLinesDroppedError && err.lines === 10 && /db\.outageBufferSize/.test(err.message));
        await assert.rejects(t.data.updates.appendLog(t.logid, bulky(31, 400), 'o'), LogLinesDroppedError);
        // A small append fits again: it comes after the marker.
        await t.data.updates.appendLog(t.logid, numbered(401, 405), 'o');
        const finished = t.data.updates.finishLog(t.logid);
        await t.up();
        await assert.rejects(finished, (err: any) => err instanceof LogLinesDroppedError && err.lines === 380);
        const text = await t.stored();
        const lines = text.split('\n');
        lines.pop();
        assert.deepEqual(lines.slice(0, 20), (numbered(1, 10) + held).trimEnd().split('\n'));
        assert.match(lines[20]!, /^\.\.\. 380 lines \(\d+ bytes\) of output were dropped here: the database could not be written \(.+\) and the output held meanwhile filled db\.outageBufferSize \(40000 bytes\)/);
        assert.deepEqual(lines.slice(21), numbered(401, 405).trimEnd().split('\n'));
        const row = await t.db.logs.get(t.logid);
        assert.equal(row?.num_lines, lines.length, 'the stored count matches the lines stored');
        assert.equal(row?.complete, true);
      } finally { await t.close(); }
    });

    test('lines taken in before the outage was known are trimmed to outageBufferSize, whole lines, newest first', async () => {
      const t = await setup({ outageBufferSize: 40_000, logChunkSize: 1024 * 1024 });
      try {
        await t.data.updates.appendLog(t.logid, numbered(1, 10), 'o');
        await t.data.updates.compressLog(t.logid);
        await t.down();
        // Below a chunk: accepted at once, the flush that fails comes later.
        const all = bulky(11, 100);
        await t.data.updates.appendLog(t.logid, all, 'o');
        const finished = t.data.updates.finishLog(t.logid);
        await outageSeen(t.db);
        await t.up();
        await assert.rejects(finished, LogLinesDroppedError);
        const lines = (await t.stored()).split('\n');
        lines.pop();
        const marker = lines.findIndex((l) => l.startsWith('... '));
        assert.ok(marker > 10, `some held lines were kept (marker at ${marker})`);
        assert.deepEqual(lines.slice(0, marker), (numbered(1, 10) + all).split('\n').slice(0, marker), 'the kept lines are the oldest, in order');
        assert.match(lines[marker]!, new RegExp(`^\\.\\.\\. ${100 - marker} lines `));
        assert.equal(marker, lines.length - 1, 'the marker ends the log');
        assert.equal((await t.db.logs.get(t.logid))?.num_lines, lines.length);
      } finally { await t.close(); }
    });
  });
}
