import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CloseCodes, ErrorCatalog, ErrorCodes, MAX_PLACEHOLDER_CHARS, ProtocolError, RemoteError, closeReason, shortText } from '../src/errors.js';

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

test('a placeholder value from the peer is cut to MAX_PLACEHOLDER_CHARS, keeping its start and its length', () => {
  const err = new ProtocolError(ErrorCodes.UNKNOWN_OP, { op: 'z'.repeat(5000) });
  assert.equal(err.message, `Command ${'z'.repeat(MAX_PLACEHOLDER_CHARS)}... (5000 characters) does not exist.`);
  assert.equal(err.context.op, 'z'.repeat(5000), 'the context keeps the whole value for code that needs it');
  assert.equal(shortText('short'), 'short');
  assert.equal(shortText('abcdef', 3), 'abc... (6 characters)');
});

test('the errors that end a misbehaving peer\'s connection close it with 1008 and say which option to raise', () => {
  const many = new ProtocolError(ErrorCodes.TOO_MANY_PEER_ERRORS, { limit: 20, last: 'Command x does not exist.' });
  assert.equal(many.closeCode, CloseCodes.POLICY_VIOLATION);
  assert.match(many.message, /more than 20 a minute; the last: Command x does not exist\..*maxPeerErrorsPerMinute/);
  const deaf = new ProtocolError(ErrorCodes.PEER_NOT_READING, { limit: 1024 });
  assert.equal(deaf.closeCode, CloseCodes.POLICY_VIOLATION);
  assert.match(deaf.message, /more than 1024 bytes wait.*maxBufferedBytes/);
});
