import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '../src/errors.js';
import { validateCommandArgs, validateMessage, validateWorkerInfo } from '../src/validation.js';
import { errors, masterToWorker, workerToMaster } from '../scripts/vector-cases.js';

function rejects(msg: unknown, detail: RegExp): void {
  const r = validateMessage(msg);
  assert.equal(r.ok, false, `expected ${JSON.stringify(msg)} to be rejected`);
  if (!r.ok) assert.match(r.error.message, detail);
}

test('every valid message of both directions validates', () => {
  for (const c of [...masterToWorker, ...workerToMaster]) {
    const r = validateMessage(c.request);
    assert.ok(r.ok, `${c.name}: ${r.ok ? '' : r.error.message}`);
  }
});

test('every invalid-message case is rejected with a message naming the problem', () => {
  for (const c of errors) {
    // Valid messages whose error is the connection's to find (unknown op, too many of them), not the schema's.
    if (!c.request || ['unknown-op', 'unknown-command', 'unknown-op.long-name', 'stray-responses.too-many'].includes(c.name)) continue;
    const r = validateMessage(c.request);
    assert.equal(r.ok, false, c.name);
  }
});

test('extra fields are allowed, as Buildbot ignores unknown ones', () => {
  assert.ok(validateMessage({ op: 'print', seq_number: 1, message: 'x', newer_field: [1, 2] }).ok);
  assert.ok(validateMessage({ op: 'update', seq_number: 1, command_id: '1', args: [['new_key', { any: 'thing' }]] }).ok);
});

test('unknown ops pass validation (the connection answers them UNKNOWN_OP)', () => {
  assert.ok(validateMessage({ op: 'future_op', seq_number: 3, anything: true }).ok);
});

test('the envelope needs a string op and a non-negative integer seq_number', () => {
  rejects({ seq_number: 1 }, /missing field op/);
  rejects({ op: 'print', message: 'x' }, /missing field seq_number/);
  rejects({ op: 'print', seq_number: 1.5, message: 'x' }, /seq_number must be integer/);
  rejects({ op: 'print', seq_number: -1, message: 'x' }, /seq_number must be >= 0/);
  rejects({ op: 7, seq_number: 1 }, /op must be string/);
  rejects(null, /message must be object/);
});

test('wrong field types are rejected per op, naming the field', () => {
  rejects({ op: 'print', seq_number: 1, message: 5 }, /message must be string/);
  rejects({ op: 'set_worker_settings', seq_number: 1, args: { newline_re: 'x', max_line_length: 10, buffer_timeout: 5 } }, /missing field args.buffer_size/);
  rejects({ op: 'set_builder_list', seq_number: 1, builders: [['a']] }, /builders.0/);
  rejects({ op: 'start_command', seq_number: 1, command_id: '1', command_name: 'stat', args: [] }, /args must be object/);
  rejects({ op: 'interrupt_command', seq_number: 1, command_id: '1' }, /missing field why/);
  rejects({ op: 'complete', seq_number: 1, command_id: '1', args: 3 }, /args must be string,null/);
  rejects({ op: 'update_upload_file_utime', seq_number: 1, command_id: '1', access_time: 'now', modified_time: 1 }, /access_time must be number/);
  rejects({ op: 'update_upload_directory_write', seq_number: 1, command_id: '1', args: [1, 2] }, /args must be binary/);
  rejects({ op: 'update_read_file', seq_number: 1, command_id: '1', length: 1.5 }, /length must be integer/);
  rejects({ op: 'update_read_file_close', seq_number: 1 }, /missing field command_id/);
  rejects({ op: 'update_upload_file_close', seq_number: 1, command_id: true }, /command_id must be string,integer/);
  rejects({ op: 'update_upload_directory_unpack', seq_number: 1, command_id: null }, /command_id/);
  rejects({ op: 'response', seq_number: 1, is_exception: 1 }, /is_exception must be boolean/);
});

test('update payload values are typed per key', () => {
  const update = (args: unknown) => ({ op: 'update', seq_number: 1, command_id: '1', args });
  assert.ok(validateMessage(update([['stdout', ['a\n', [1], [0.5]]], ['rc', -1], ['elapsed', 2]])).ok);
  rejects(update([['stdout', 'a\n', 'extra']]), /args.0/);
  rejects(update([['stdout', ['a\n', ['1'], [0]]]]), /args.0/);
  rejects(update([['log', ['name']]]), /args.0/);
  rejects(update([['elapsed', 'soon']]), /args.0/);
  rejects(update([['stat', ['mode']]]), /args.0/);
  rejects(update([['files', [1]]]), /args.0/);
  rejects(update([['rc']]), /args.0/);
  rejects(update([[5, 0]]), /args.0.0 must be string/);
});

test('bytes fields accept Buffers and reject strings and arrays', () => {
  const write = (args: unknown) => ({ op: 'update_upload_file_write', seq_number: 1, command_id: '1', args });
  assert.ok(validateMessage(write(Buffer.from('abc'))).ok);
  assert.ok(validateMessage(write(new Uint8Array(2))).ok);
  rejects(write('abc'), /must be binary/);
  rejects(write([97, 98]), /must be binary/);
});

test('start_command args are checked against the command schema when the command is known', () => {
  const start = (command_name: string, args: unknown) => ({ op: 'start_command', seq_number: 1, command_id: '1', command_name, args });
  rejects(start('mkdir', { paths: 'one' }), /invalid args for command mkdir: paths must be array/);
  rejects(start('downloadFile', { path: '/x', maxsize: null, blocksize: 0, mode: null }), /blocksize must be >= 1/);
  assert.ok(validateMessage(start('someday_command', { whatever: 1 })).ok, 'unknown commands are left to the worker');
});

test('validateCommandArgs checks each command and names unknown ones', () => {
  const ok = (command: string, args: unknown) => assert.ok(validateCommandArgs(command, args).ok, command);
  const bad = (command: string, args: unknown, detail: RegExp) => {
    const r = validateCommandArgs(command, args);
    assert.equal(r.ok, false, command);
    if (!r.ok) { assert.equal(r.error.code, ErrorCodes.INVALID_COMMAND_ARGS); assert.match(r.error.message, detail); }
  };
  ok('shell', { command: ['ls'], workdir: '/w', env: null, logfiles: null, timeout: null });
  bad('shell', { command: [], workdir: '/w' }, /command/);
  bad('shell', { command: 'ls', workdir: '/w', env: { A: 1 } }, /env.A/);
  bad('shell', { command: 'ls', workdir: '/w', logfiles: { l: { follow: true } } }, /logfiles.l/);
  bad('shell', { command: 'ls', workdir: '/w', timeout: '10' }, /timeout must be number,null/);
  ok('stat', { path: '/x' });
  bad('stat', {}, /missing field path/);
  ok('glob', { path: '/x/*' });
  bad('glob', { path: ['/x'] }, /path must be string/);
  ok('listdir', { path: '/x' });
  ok('mkdir', { paths: ['/a', '/b'] });
  bad('mkdir', { paths: [] }, /paths must NOT have fewer than 1 items/);
  ok('rmdir', { paths: ['/a'], timeout: 120, maxTime: null });
  ok('rmfile', { path: '/a' });
  ok('cpdir', { from_path: '/a', to_path: '/b' });
  bad('cpdir', { from_path: '/a' }, /missing field to_path/);
  ok('upload_file', { path: '/a', maxsize: null, blocksize: 16384, keepstamp: false });
  bad('upload_file', { path: '/a', blocksize: 16384 }, /missing field maxsize/);
  ok('upload_directory', { path: '/a', maxsize: 10, blocksize: 16384, compress: null });
  bad('upload_directory', { path: '/a', maxsize: 10, blocksize: 16384, compress: 'zip' }, /compress must be equal to one of the allowed values/);
  ok('download_file', { path: '/a', maxsize: null, blocksize: 16384, mode: 0o644 });
  bad('download_file', { path: '/a', maxsize: null, blocksize: 16384, mode: '644' }, /mode must be integer,null/);
  const unknown = validateCommandArgs('launch_rockets', {});
  assert.ok(!unknown.ok && unknown.error.code === ErrorCodes.UNKNOWN_COMMAND);
});

test('a get_worker_info result is checked for the keys the master relies on', () => {
  const info = masterToWorker.find((c) => c.name === 'get_worker_info')!.result as Record<string, unknown>;
  assert.ok(validateWorkerInfo(info).ok);
  const bad = validateWorkerInfo({ ...info, numcpus: 'four' });
  assert.ok(!bad.ok && /numcpus must be integer/.test(bad.error.message));
  const missing = validateWorkerInfo({ system: 'posix' });
  assert.ok(!missing.ok && /missing field environ/.test(missing.error.message));
});
