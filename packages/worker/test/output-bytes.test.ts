/**
 * Output as bytes (PROTOCOL.md §3.4): with `mastro_output_bytes` the worker sends the UTF-8 bytes of
 * whole lines and never decodes them; without it, Buildbot's [text, offsets, times], decoded correctly
 * even when a character is split between two reads of the pipe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../src/output/line-splitter.js';
import { compileNewlineRe, DEFAULT_NEWLINE_RE } from '../src/output/newline.js';
import { applyWorkerSettings, defaultOutputSettings } from '../src/settings.js';
import { UpdateBuffer, splitChunk } from '../src/output/update-buffer.js';
import { runCommand, tempDir } from './support/helpers.js';

const binary = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const fromBinary = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

test('in binary mode an over-long line is cut after max-1 characters, never inside a character', () => {
  const s = new LineSplitter(5, compileNewlineRe(DEFAULT_NEWLINE_RE), true);
  const out = s.append(binary('äöüßéèx\n'), 0)!;
  const lines = fromBinary(out[0]).split('\n').slice(0, -1);
  assert.deepEqual(lines, ['äöüß', 'éèx']);
});

test('in binary mode a line of fewer characters than the maximum is kept whole, however many bytes it has', () => {
  const s = new LineSplitter(5, compileNewlineRe(DEFAULT_NEWLINE_RE), true);
  const out = s.append(binary('€€€€\n'), 0)!; // 4 characters, 12 bytes
  assert.equal(fromBinary(out[0]), '€€€€\n');
});

test('binary chunks carry no offsets or times, so their cost is their bytes', () => {
  const s = new LineSplitter(4096, compileNewlineRe(DEFAULT_NEWLINE_RE), true);
  assert.deepEqual(s.append('one\ntwo\nthr', 1), ['one\ntwo\n', [], []]);
  assert.deepEqual(s.flush(), ['thr\n', [], []]);
});

test('an oversized binary chunk is split at line ends within the limit; one longer line goes whole', () => {
  const text = 'aaaa\nbbbb\ncccccccccccc\ndd\n';
  const pieces = splitChunk([text, [], []], 11);
  assert.deepEqual(pieces.map((p) => p[0]), ['aaaa\nbbbb\n', 'cccccccccccc\n', 'dd\n']);
  assert.ok(pieces.every((p) => p[1].length === 0 && p[2].length === 0));
  const sent: unknown[] = [];
  const buffer = new UpdateBuffer((pairs) => sent.push(...pairs), 11, 1000);
  buffer.append('stdout', [text, [], []]);
  buffer.flush();
  assert.deepEqual(sent.map((p) => (p as [string, [string]])[1][0]).join(''), text);
  assert.equal(sent.length, 3);
});

test('mastro_output_bytes is taken only where bytes may travel as bytes (msgpack), and is off by default', () => {
  const base = { newline_re: DEFAULT_NEWLINE_RE, max_line_length: 4096, buffer_timeout: 5, buffer_size: 65536 };
  assert.equal(defaultOutputSettings().outputBytes, false);
  assert.equal(applyWorkerSettings(defaultOutputSettings(), { ...base, mastro_output_bytes: true }).outputBytes, true);
  assert.equal(applyWorkerSettings(defaultOutputSettings(), { ...base, mastro_output_bytes: true }, false).outputBytes, false);
  assert.equal(applyWorkerSettings(defaultOutputSettings(), base).outputBytes, false);
});

// Prints a 4-byte character split across two writes with a pause between, so the pipe delivers two reads.
const SPLIT_CHAR = "printf 'a \\360\\237'; sleep 0.2; printf '\\230\\200 b\\nlast'";

test('a bytes session sends stdout, stderr and header as UTF-8 bytes of whole lines', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: `${SPLIT_CHAR}; echo 'grüße' >&2`, workdir: dir }, { basedir: dir, settings: { outputBytes: true } });
  const text = r.updates.filter(([k]) => k === 'stdout' || k === 'stderr' || k === 'header');
  assert.ok(text.length >= 3);
  for (const [key, value] of text) {
    assert.ok(Buffer.isBuffer(value), `${key} is bytes`);
    assert.equal(value[value.length - 1], 10, `${key} ends a line`);
  }
  assert.equal(r.text('stdout'), 'a 😀 b\nlast\n');
  assert.equal(r.text('stderr'), 'grüße\n');
  assert.match(r.text('header'), /^printf 'a /);
});

test('a text session decodes a character split between two reads and sends Buildbot triples', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: SPLIT_CHAR, workdir: dir }, { basedir: dir });
  for (const [key, value] of r.updates.filter(([k]) => k === 'stdout')) assert.ok(Array.isArray(value) && typeof value[0] === 'string', key);
  assert.equal(r.text('stdout'), 'a 😀 b\nlast\n');
});

test('an incomplete character at the very end of the output becomes U+FFFD in a text session', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', { command: "printf 'x\\342\\202'", workdir: dir }, { basedir: dir });
  assert.equal(r.text('stdout'), 'x\ufffd\n');
});

test('logfiles of a bytes session arrive as bytes too', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('shell', {
    command: "printf 'log ünïcode\\n' > out.log; sleep 0.3", workdir: dir, logfiles: { out: 'out.log' },
  }, { basedir: dir, settings: { outputBytes: true } });
  const logs = r.updates.filter(([k]) => k === 'log');
  assert.ok(logs.length >= 1);
  for (const [, value] of logs) assert.ok(Buffer.isBuffer((value as [string, unknown])[1]));
  assert.equal(r.text('log:out'), 'log ünïcode\n');
});
