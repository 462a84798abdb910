import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloseCodes, ErrorCatalog, ErrorCodes, ProtocolError, RemoteError, closeReason } from '../src/errors.js';

test('every catalog code has a message and a close code a WebSocket may send', () => {
  for (const code of Object.values(ErrorCodes)) {
    const entry = ErrorCatalog[code];
    assert.ok(entry.message.length > 10, code);
    assert.ok(entry.closeCode === 1000 || (entry.closeCode >= 1001 && entry.closeCode <= 1011) || (entry.closeCode >= 4000 && entry.closeCode <= 4999), code);
    assert.match(code, /^MASTRO_PROTOCOL_[A-Z_]+$/);
  }
});

test('a ProtocolError fills its template from context and keeps the context frozen', () => {
  const err = new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, { size: 20, limit: 10 });
  assert.equal(err.message, 'frame of 20 bytes exceeds the limit of 10 bytes; raise maxFrameSize on both sides or send smaller blocks');
  assert.equal(err.closeCode, CloseCodes.MESSAGE_TOO_BIG);
  assert.ok(Object.isFrozen(err.context));
  assert.ok(err instanceof Error);
});

test('a RemoteError carries the peer text verbatim', () => {
  const err = new RemoteError('start_command', "unrecognized WorkerCommand 'x'");
  assert.equal(err.message, "unrecognized WorkerCommand 'x'");
  assert.equal(err.code, ErrorCodes.REMOTE_EXCEPTION);
  assert.equal(new RemoteError('x', { detail: 1 }).remoteMessage, '{"detail":1}');
});

test('close reasons are cut to the 123-byte limit on a character boundary', () => {
  assert.equal(closeReason('short'), 'short');
  const long = closeReason('é'.repeat(200));
  assert.ok(Buffer.byteLength(long) <= 123);
  assert.ok(!long.includes('\uFFFD'));
});

test('every close code in CloseCodes has a row in the close-code table of PROTOCOL.md', () => {
  const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');
  const rows = new Set([...doc.matchAll(/^\s*\|\s*(\d{4})\s*\|/gm)].map((m) => Number(m[1])));
  const missing = Object.entries(CloseCodes).filter(([, code]) => !rows.has(code)).map(([name, code]) => `${code} (${name})`);
  assert.deepEqual(missing, [], 'close codes a peer can receive without a line saying when');
});
