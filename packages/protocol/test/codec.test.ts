import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { decodeMessage, encodeMessage } from '../src/codec.js';
import { ErrorCodes, ProtocolError } from '../src/errors.js';

const sample = {
  op: 'update',
  seq_number: 7,
  command_id: '12',
  args: [['stdout', ['hello\nworld\n', [5, 11], [1700000000.25, 1700000000.5]]], ['rc', 0], ['elapsed', 0.125]],
};

test('a message survives a msgpack round trip with numbers, nested lists and floats intact', () => {
  const frame = encodeMessage(sample, 'msgpack');
  assert.ok(Buffer.isBuffer(frame));
  assert.deepEqual(decodeMessage(frame, true), sample);
});

test('a message survives a JSON round trip as a text frame', () => {
  const frame = encodeMessage(sample, 'json');
  assert.equal(typeof frame, 'string');
  assert.deepEqual(decodeMessage(frame, false), sample);
});

test('bytes travel as msgpack bin and come back as a Buffer', () => {
  const data = Buffer.from([0, 1, 2, 255, 254]);
  const frame = encodeMessage({ op: 'update_upload_file_write', seq_number: 1, command_id: '3', args: data }, 'msgpack') as Buffer;
  // bin 8 marker (0xc4) followed by the length, then the raw bytes
  assert.ok(frame.includes(Buffer.from([0xc4, 5, 0, 1, 2, 255, 254])));
  const back = decodeMessage(frame, true);
  assert.ok(Buffer.isBuffer(back.args));
  assert.deepEqual(back.args, data);
});

test('bytes travel in JSON as {"$binary": base64} and come back as a Buffer', () => {
  const data = Buffer.from('binary\x00payload');
  const frame = encodeMessage({ op: 'response', seq_number: 2, result: data }, 'json') as string;
  assert.deepEqual(JSON.parse(frame).result, { $binary: data.toString('base64') });
  const back = decodeMessage(frame, false);
  assert.ok(Buffer.isBuffer(back.result));
  assert.deepEqual(back.result, data);
});

test('an object with $binary next to other keys stays an ordinary object in JSON', () => {
  const msg = decodeMessage('{"op":"x","seq_number":1,"v":{"$binary":"AA==","other":1}}', false);
  assert.deepEqual(msg.v, { $binary: 'AA==', other: 1 });
});

test('integers beyond 32 bits stay integers in msgpack (int64, not float64)', () => {
  const big = 2 ** 40 + 3;
  const frame = encodeMessage({ op: 'x', seq_number: 0, n: big, list: [1, -(2 ** 35)] }, 'msgpack') as Buffer;
  assert.ok(frame.includes(Buffer.from([0xcf])) || frame.includes(Buffer.from([0xd3])), 'expected a 64-bit integer marker');
  assert.ok(!frame.includes(Buffer.from([0xcb])), 'no float64 may appear');
  assert.deepEqual(decodeMessage(frame, true), { op: 'x', seq_number: 0, n: big, list: [1, -(2 ** 35)] });
});

test('fields holding undefined are left out, as in JSON', () => {
  const frame = encodeMessage({ op: 'x', seq_number: 0, gone: undefined, kept: null }, 'msgpack');
  assert.deepEqual(decodeMessage(frame, true), { op: 'x', seq_number: 0, kept: null });
});

function assertBadFrame(fn: () => unknown, detail: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, ErrorCodes.BAD_FRAME);
    assert.equal(err.closeCode, 1003);
    assert.match(err.message, detail);
    return true;
  });
}

test('a truncated msgpack frame is a BAD_FRAME error naming truncation', () => {
  const frame = encodeMessage(sample, 'msgpack') as Buffer;
  assertBadFrame(() => decodeMessage(frame.subarray(0, frame.length - 3), true), /truncated|end of buffer/i);
});

test('trailing bytes after the msgpack value are a BAD_FRAME error', () => {
  const frame = encodeMessage(sample, 'msgpack') as Buffer;
  assertBadFrame(() => decodeMessage(Buffer.concat([frame, Buffer.from([0x01])]), true), /end of buffer/);
});

test('a msgpack value that is not a map is a BAD_FRAME error', () => {
  assertBadFrame(() => decodeMessage(Buffer.from([0x93, 1, 2, 3]), true), /array, not a map/);
  assertBadFrame(() => decodeMessage(Buffer.from([0xc0]), true), /nil, not a map/);
  assertBadFrame(() => decodeMessage(Buffer.from([0xc4, 1, 9]), true), /binary data, not a map/);
});

test('an empty binary frame is a BAD_FRAME error', () => {
  assertBadFrame(() => decodeMessage(Buffer.alloc(0), true), /empty frame/);
});

test('JSON syntax errors and non-object JSON are BAD_FRAME errors', () => {
  assertBadFrame(() => decodeMessage('{"op": "print",', false), /JSON|Unexpected|Expected/);
  assertBadFrame(() => decodeMessage('[1,2]', false), /array, not a map/);
  assertBadFrame(() => decodeMessage('"text"', false), /string, not a map/);
});

test('a __proto__ key cannot change the prototype of a decoded message', () => {
  const viaJson = decodeMessage('{"op":"x","seq_number":1,"__proto__":{"polluted":true}}', false);
  assert.equal(Object.getPrototypeOf(viaJson), Object.prototype);
  assert.equal((viaJson as { polluted?: unknown }).polluted, undefined);
  const viaMsgpack = decodeMessage(Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x81, 0xa1, 0x78, 0x01]), true);
  assert.equal(Object.getPrototypeOf(viaMsgpack), Object.prototype);
  assert.equal(({} as { x?: unknown }).x, undefined);
});

const python = '/usr/bin/python3';
const hasPythonMsgpack = existsSync(python) && (() => {
  try { execFileSync(python, ['-c', 'import msgpack']); return true; } catch { return false; }
})();

test('Python msgpack (as Buildbot uses it) reads our frames with the right types', { skip: !hasPythonMsgpack && 'python3-msgpack not installed' }, () => {
  const frame = encodeMessage({ op: 'response', seq_number: 3, result: { data: Buffer.from('ab'), n: 2 ** 33, f: 0.5, s: 'é', l: [1, null] } }, 'msgpack') as Buffer;
  const script = [
    'import sys, msgpack',
    'm = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)',
    'r = m["result"]',
    'print(type(r["data"]).__name__, type(r["n"]).__name__, r["n"], type(r["f"]).__name__, r["s"], r["l"], type(m["seq_number"]).__name__)',
  ].join('\n');
  const out = execFileSync(python, ['-c', script], { input: frame }).toString().trim();
  assert.equal(out, `bytes int ${2 ** 33} float é [1, None] int`);
});

test('we read what Python msgpack writes, bytes as Buffers and tuples as arrays', { skip: !hasPythonMsgpack && 'python3-msgpack not installed' }, () => {
  const script = [
    'import sys, msgpack',
    "m = {'op': 'update_upload_file_write', 'seq_number': 4, 'command_id': '9', 'args': b'\\x00\\xff', 'extra': ('stat', (16877, 2**40))}",
    'sys.stdout.buffer.write(msgpack.packb(m))',
  ].join('\n');
  const frame = execFileSync(python, ['-c', script]);
  const msg = decodeMessage(frame, true);
  assert.deepEqual(msg.args, Buffer.from([0, 255]));
  assert.deepEqual(msg.extra, ['stat', [16877, 2 ** 40]]);
});
