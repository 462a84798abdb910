import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedStepLog } from '../src/process/step-log.js';
import { Redactor } from '../src/process/redactor.js';
import type { Updates } from '../src/data/updates-api.js';

function recorder() {
  const calls: Array<{ content: string; stream?: string }> = [];
  let finished = 0;
  let gate: Promise<void> = Promise.resolve();
  const updates = {
    async appendLog(_id: number, content: string, stream?: 'o' | 'e' | 'h') { await gate; calls.push({ content, stream }); },
    async finishLog() { finished++; },
  } as unknown as Updates;
  return { updates, calls, finished: () => finished, hold(p: Promise<void>) { gate = p; } };
}

test('many small chunks are coalesced into few appends of complete lines', async () => {
  const r = recorder();
  let release!: () => void;
  r.hold(new Promise((res) => { release = res; }));
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor());
  log.addStdout('first line\n');
  await new Promise((res) => setImmediate(res));
  // The first append is in flight; these 1000 chunks must wait and go out together.
  for (let i = 0; i < 1000; i++) log.addStdout(`line ${i}\n`);
  release();
  await log.finish();
  assert.ok(r.calls.length <= 3, `${r.calls.length} appends`);
  const all = r.calls.map((c) => c.content).join('');
  assert.equal(all.split('\n').length - 1, 1001);
  assert.ok(r.calls.every((c) => c.content.endsWith('\n') && c.stream === 'o'));
  assert.equal(r.finished(), 1);
});

test('stream order is kept and a partial last line is terminated at finish', async () => {
  const r = recorder();
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor());
  log.addHeader('running cmd\n');
  log.addStdout('out 1\nout ');
  log.addStderr('err 1\n');
  log.addStdout('2\n');
  log.addStdout('no newline');
  await log.finish();
  assert.deepEqual(r.calls, [
    { content: 'running cmd\n', stream: 'h' },
    { content: 'out 1\n', stream: 'o' },
    { content: 'err 1\n', stream: 'e' },
    { content: 'out 2\nno newline\n', stream: 'o' },
  ]);
});

test('text logs are stored without a stream prefix and output after finish is ignored', async () => {
  const r = recorder();
  const log = new BufferedStepLog(r.updates, 1, 'notes', 't', new Redactor());
  log.addContent('hello\nworld');
  await log.finish();
  log.addContent('late\n');
  await log.finish();
  assert.deepEqual(r.calls, [{ content: 'hello\nworld\n', stream: undefined }]);
  assert.equal(r.finished(), 1);
});

test('whenWritable makes producers wait while more than maxBufferedBytes await storing, and nothing is dropped', async () => {
  const r = recorder();
  let release!: () => void;
  r.hold(new Promise((res) => { release = res; }));
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor(), { maxBufferedBytes: 1000 });
  assert.equal(log.whenWritable(), null, 'an empty writer has room');
  log.addStdout('x'.repeat(499) + '\n');
  assert.equal(log.whenWritable(), null, 'under the bound');
  log.addStdout('y'.repeat(599) + '\n');
  const wait = log.whenWritable();
  assert.ok(wait instanceof Promise, 'over the bound the producer gets a promise');
  assert.equal(log.whenWritable(), wait, 'waiting producers share one promise');
  let woke = false;
  void wait.then(() => { woke = true; });
  log.addStdout('z'.repeat(99) + '\n'); // accepted even while over the bound
  await new Promise((res) => setImmediate(res));
  assert.equal(woke, false, 'still over the bound while the database holds the append');
  release();
  await wait;
  assert.equal(log.whenWritable(), null);
  await log.finish();
  assert.equal(r.calls.map((c) => c.content).join(''), 'x'.repeat(499) + '\n' + 'y'.repeat(599) + '\n' + 'z'.repeat(99) + '\n');
});

test('a producer waiting on a stalled database is released after maxWaitMs', async () => {
  const r = recorder();
  let release!: () => void;
  r.hold(new Promise((res) => { release = res; }));
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor(), { maxBufferedBytes: 10, maxWaitMs: 20 });
  log.addStdout('more than ten bytes\n');
  const wait = log.whenWritable();
  assert.ok(wait);
  const keepAlive = setTimeout(() => {}, 5000); // the writer's own timer is unref'd
  await wait; // resolves by the timer alone: the append is still held
  clearTimeout(keepAlive);
  assert.equal(r.calls.length, 0);
  release();
  await log.finish();
  assert.equal(r.calls.length, 1);
});

test('no append is bigger than maxAppendBytes unless one line is, and the text arrives whole and in order', async () => {
  const r = recorder();
  let release!: () => void;
  r.hold(new Promise((res) => { release = res; }));
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor(), { maxAppendBytes: 100 });
  log.addStdout('first\n');
  await new Promise((res) => setImmediate(res));
  const lines = Array.from({ length: 40 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`); // 9 bytes each
  for (const l of lines) log.addStdout(l);
  const long = 'L'.repeat(250) + '\n';
  log.addStdout(long);
  log.addStderr('err\n');
  release();
  await log.finish();
  assert.equal(r.calls.map((c) => c.content).join(''), 'first\n' + lines.join('') + long + 'err\n');
  for (const c of r.calls) assert.ok(c.content.length <= 100 || c.content === long, `append of ${c.content.length} characters`);
  assert.ok(r.calls.length >= 6, `${r.calls.length} appends`);
  assert.deepEqual(r.calls.map((c) => c.stream).slice(-1), ['e']);
});

/** What an append carried, as text, and whether it came as bytes. */
const asText = (content: unknown) => (typeof content === 'string' ? content : Buffer.concat(content as Buffer[]).toString('utf8'));

test('bytes of whole lines reach the data layer as the same buffers, coalesced per stream, never decoded', async () => {
  const r = recorder();
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor());
  const a = Buffer.from('out 1\nout 2\n');
  const b = Buffer.from('out 3 grüße\n');
  const e = Buffer.from('err 1\n');
  log.addStdout(a);
  log.addStdout(b);
  log.addStderr(e);
  await log.finish();
  assert.equal(r.calls.length, 2);
  const [out, err] = r.calls as unknown as Array<{ content: Buffer[]; stream: string }>;
  assert.ok(Array.isArray(out!.content) && out!.content[0] === a && out!.content[1] === b, 'the very buffers, not copies');
  assert.equal(out!.stream, 'o');
  assert.deepEqual({ text: asText(err!.content), stream: err!.stream }, { text: 'err 1\n', stream: 'e' });
});

test('bytes that split a character or a line take the text path and come out whole and in order', async () => {
  const r = recorder();
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', new Redactor());
  const euro = Buffer.from('€'); // 3 bytes
  log.addStdout(Buffer.concat([Buffer.from('price: '), euro.subarray(0, 2)]));
  log.addStdout(Buffer.concat([euro.subarray(2), Buffer.from('5\nnext ')]));
  log.addStdout(Buffer.from('line\n'));
  log.addStdout(Buffer.from('bytes again\n'));
  log.addStdout(Buffer.from([0x66, 0xe2, 0x82])); // ends mid-character, then the log ends
  await log.finish();
  assert.equal(r.calls.map((c) => asText(c.content)).join(''), 'price: €5\nnext line\nbytes again\nf\ufffd\n');
  assert.ok(r.calls.every((c) => c.stream === 'o'));
});

test('bytes are redacted like text when the build has secrets, also across two updates', async () => {
  const r = recorder();
  const redactor = new Redactor();
  redactor.addSecret('token', 's3cr3t-value');
  const log = new BufferedStepLog(r.updates, 1, 'stdio', 's', redactor);
  log.addStdout(Buffer.from('using s3cr3t-value here\nand s3cr'));
  log.addStdout(Buffer.from('3t-value there\n'));
  await log.finish();
  const text = r.calls.map((c) => asText(c.content)).join('');
  assert.equal(text, 'using <token> here\nand <token> there\n');
});
