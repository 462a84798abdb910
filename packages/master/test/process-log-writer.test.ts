import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedLogWriter } from '../src/process/log-writer.js';
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
  const log = new BufferedLogWriter(r.updates, 1, 'stdio', 's', new Redactor());
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
  const log = new BufferedLogWriter(r.updates, 1, 'stdio', 's', new Redactor());
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
  const log = new BufferedLogWriter(r.updates, 1, 'notes', 't', new Redactor());
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
  const log = new BufferedLogWriter(r.updates, 1, 'stdio', 's', new Redactor(), { maxBufferedBytes: 1000 });
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
  const log = new BufferedLogWriter(r.updates, 1, 'stdio', 's', new Redactor(), { maxBufferedBytes: 10, maxWaitMs: 20 });
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
  const log = new BufferedLogWriter(r.updates, 1, 'stdio', 's', new Redactor(), { maxAppendBytes: 100 });
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
