/**
 * The conformance cases, from which generate-vectors.ts writes vectors/*.json (with msgpack hex and
 * JSON for every frame). Edit here, then run: node --import tsx packages/protocol/scripts/generate-vectors.ts
 */

export type Expect = 'response' | 'exception' | 'close';

export interface VectorCase {
  name: string;
  description: string;
  direction: 'master-to-worker' | 'worker-to-master' | 'either';
  /** The message; encoded both ways unless `raw` is given. */
  request?: Record<string, unknown>;
  /** A malformed frame given as bytes or text, for cases that cannot be a message. */
  raw?: { msgpack_hex?: string; json_text?: string };
  expect: Expect;
  /** For 'response': the result the answering side's handler returns (echoed in the response). */
  result?: unknown;
  /** For 'exception': the text the reference implementation answers (informative, not normative). */
  exception?: string;
  /** For 'close': the close code. */
  closeCode?: number;
  /** Send the frame this many times; only the last may cause the expected outcome (the others get no answer). */
  repeat?: number;
}

const bin = (hex: string): Buffer => Buffer.from(hex, 'hex');
const line = (text: string, t = 1700000000.5): [string, number[], number[]] => {
  const idx: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) idx.push(i);
  return [text, idx, idx.map(() => t)];
};
const start = (seq: number, command_name: string, args: Record<string, unknown>, builder_name = 'runtests') =>
  ({ op: 'start_command', seq_number: seq, builder_name, command_id: String(seq + 100), command_name, args });

export const masterToWorker: VectorCase[] = [
  { name: 'print', description: 'master shows a message in the worker log; result null', direction: 'master-to-worker', request: { op: 'print', seq_number: 0, message: 'hello worker' }, expect: 'response', result: null },
  { name: 'keepalive', description: 'liveness check; result null', direction: 'master-to-worker', request: { op: 'keepalive', seq_number: 1 }, expect: 'response', result: null },
  {
    name: 'get_worker_info', description: 'worker describes itself (example result as buildbot-worker 3.7 builds it)', direction: 'master-to-worker',
    request: { op: 'get_worker_info', seq_number: 2 }, expect: 'response',
    result: { admin: 'Ops <ops@example.org>\n', host: 'build-host-1\n', environ: { PATH: '/usr/bin:/bin', HOME: '/home/buildbot' }, system: 'posix', basedir: '/var/lib/buildbot/worker', numcpus: 4, version: '3.7.0', worker_commands: { shell: '3.3', stat: '3.3', upload_file: '3.3' }, delete_leftover_dirs: false },
  },
  {
    name: 'set_worker_settings', description: "output buffering settings the 3.7 master sends right after attaching", direction: 'master-to-worker',
    request: { op: 'set_worker_settings', seq_number: 3, args: { newline_re: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)', max_line_length: 4096, buffer_timeout: 5, buffer_size: 65536 } },
    expect: 'response', result: null,
  },
  {
    name: 'set_worker_settings.mastro_output_bytes', description: 'a mastro master also asks a msgpack worker for output as bytes (Buildbot workers ignore the extra key)', direction: 'master-to-worker',
    request: { op: 'set_worker_settings', seq_number: 18, args: { newline_re: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)', max_line_length: 4096, buffer_timeout: 5, buffer_size: 65536, mastro_output_bytes: true } },
    expect: 'response', result: null,
  },
  { name: 'set_builder_list', description: 'builders and their directories; result the builder names (spec message; the 3.7 master does not send it)', direction: 'master-to-worker', request: { op: 'set_builder_list', seq_number: 4, builders: [['runtests', 'runtests'], ['docs', 'docs-dir']] }, expect: 'response', result: ['runtests', 'docs'] },
  { name: 'start_command.shell.argv', description: 'shell with an argv list and every option the 3.7 master sends', direction: 'master-to-worker', request: start(5, 'shell', { workdir: '/w/runtests/build', env: { CI: 'true', PATH: ['/opt/bin', '${PATH}'], UNSET_ME: null }, want_stdout: true, want_stderr: true, logfiles: { 'test.log': 'out/test.log', junit: { filename: 'junit.xml', follow: true } }, timeout: 1200, maxTime: null, sigtermTime: null, usePTY: false, logEnviron: true, initial_stdin: null, interruptSignal: 'TERM', command: ['make', 'test', ['obfuscated', 'secret-token', '<token>']] }), expect: 'response', result: null },
  { name: 'start_command.shell.string', description: 'shell with a command string (run by the shell) and numeric want_* flags', direction: 'master-to-worker', request: start(6, 'shell', { workdir: '/w/runtests/build', command: 'echo hi && exit 3', want_stdout: 1, want_stderr: 0 }), expect: 'response', result: null },
  { name: 'start_command.stat', description: 'stat one path (updates: stat 10-tuple, rc)', direction: 'master-to-worker', request: start(7, 'stat', { path: '/w/runtests/build/Makefile', workdir: 'build' }), expect: 'response', result: null },
  { name: 'start_command.glob', description: 'glob a pattern (updates: files, rc)', direction: 'master-to-worker', request: start(8, 'glob', { path: '/w/runtests/build/**/*.xml' }), expect: 'response', result: null },
  { name: 'start_command.listdir', description: 'list a directory; the 3.7 master sends this without builder_name at attach time', direction: 'master-to-worker', request: { op: 'start_command', seq_number: 9, command_id: '109', command_name: 'listdir', args: { path: '/var/lib/buildbot/worker' } }, expect: 'response', result: null },
  { name: 'start_command.mkdir', description: 'create directories with parents', direction: 'master-to-worker', request: start(10, 'mkdir', { paths: ['/w/runtests', '/w/info'], logEnviron: true }), expect: 'response', result: null },
  { name: 'start_command.rmdir', description: 'remove directories recursively', direction: 'master-to-worker', request: start(11, 'rmdir', { paths: ['/w/runtests/build'], logEnviron: false, timeout: 120, maxTime: null }), expect: 'response', result: null },
  { name: 'start_command.rmfile', description: 'remove one file', direction: 'master-to-worker', request: start(12, 'rmfile', { path: '/w/runtests/build/stale.lock' }), expect: 'response', result: null },
  { name: 'start_command.cpdir', description: 'copy a directory tree', direction: 'master-to-worker', request: start(13, 'cpdir', { from_path: '/w/runtests/source', to_path: '/w/runtests/build', logEnviron: true, timeout: 120, maxTime: null }), expect: 'response', result: null },
  { name: 'start_command.upload_file', description: 'upload a file to the master (worker then sends update_upload_file_* with this command_id)', direction: 'master-to-worker', request: start(14, 'upload_file', { workdir: 'build', maxsize: null, blocksize: 16384, keepstamp: true, workersrc: 'dist/app.tar.gz', path: '/w/runtests/build/dist/app.tar.gz' }), expect: 'response', result: null },
  { name: 'start_command.upload_directory', description: 'upload a directory as a tar archive', direction: 'master-to-worker', request: start(15, 'upload_directory', { workdir: 'build', maxsize: 10485760, blocksize: 16384, compress: 'gz', workersrc: 'docs/html', path: '/w/runtests/build/docs/html' }), expect: 'response', result: null },
  { name: 'start_command.download_file', description: 'download a file from the master (worker then sends update_read_file*)', direction: 'master-to-worker', request: start(16, 'download_file', { maxsize: null, blocksize: 16384, workdir: 'build', mode: 493, workerdest: 'tools/run.sh', path: '/w/runtests/build/tools/run.sh' }), expect: 'response', result: null },
  { name: 'start_command.alias.uploadFile', description: 'the camelCase alias buildbot-worker also accepts', direction: 'master-to-worker', request: start(17, 'uploadFile', { maxsize: 1024, blocksize: 512, path: '/w/runtests/build/a.txt' }), expect: 'response', result: null },
  { name: 'interrupt_command', description: 'interrupt a running command; the worker still sends its final updates and complete', direction: 'master-to-worker', request: { op: 'interrupt_command', seq_number: 18, builder_name: 'runtests', command_id: '105', why: 'build was stopped' }, expect: 'response', result: null },
  { name: 'shutdown', description: 'ask the worker to shut down', direction: 'master-to-worker', request: { op: 'shutdown', seq_number: 19 }, expect: 'response', result: null },
];

export const workerToMaster: VectorCase[] = [
  { name: 'update.output', description: 'output lines with newline offsets and per-line times, a custom log, rc and elapsed, as [key, value] pairs', direction: 'worker-to-master', request: { op: 'update', seq_number: 0, command_id: '105', args: [['header', line('make test\n in dir /w/runtests/build\n')], ['stdout', line('ok 1\nok 2\n')], ['stderr', line('warning: x\n')], ['log', ['test.log', line('PASS\n')]], ['rc', 0], ['elapsed', 1.25]] }, expect: 'response', result: null },
  { name: 'update.output.bytes', description: "output as UTF-8 bytes of whole lines (msgpack bin), as a mastro worker sends it after mastro_output_bytes; a log file's output too", direction: 'worker-to-master', request: { op: 'update', seq_number: 1, command_id: '105', args: [['header', bin(Buffer.from('make test\n').toString('hex'))], ['stdout', bin(Buffer.from('ok 1\ngrüße 2\n').toString('hex'))], ['log', ['test.log', bin(Buffer.from('PASS\n').toString('hex'))]]] }, expect: 'response', result: null },
  { name: 'update.stat', description: 'stat result: mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime', direction: 'worker-to-master', request: { op: 'update', seq_number: 1, command_id: '107', args: [['stat', [33188, 5243021, 2049, 1, 1000, 1000, 12288, 1700000000, 1700000001, 1700000002]], ['rc', 0]] }, expect: 'response', result: null },
  { name: 'update.files', description: 'glob/listdir result', direction: 'worker-to-master', request: { op: 'update', seq_number: 2, command_id: '109', args: [['files', ['runtests', 'info']], ['rc', 0]] }, expect: 'response', result: null },
  { name: 'update.transfer-failure', description: 'transfer commands send stderr as a bare string in their final update', direction: 'worker-to-master', request: { op: 'update', seq_number: 3, command_id: '114', args: [['rc', 1], ['stderr', "Cannot open file '/w/x' for upload"]] }, expect: 'response', result: null },
  { name: 'complete.success', description: 'the command finished; args null', direction: 'worker-to-master', request: { op: 'complete', seq_number: 4, command_id: '105', args: null }, expect: 'response', result: null },
  { name: 'complete.failure', description: 'the command failed to run; args is the failure text', direction: 'worker-to-master', request: { op: 'complete', seq_number: 5, command_id: '106', args: "[Failure instance: Traceback: <class 'OSError'>: [Errno 2] No such file]" }, expect: 'response', result: null },
  { name: 'update_upload_file_write', description: 'one block of an uploaded file (bytes)', direction: 'worker-to-master', request: { op: 'update_upload_file_write', seq_number: 6, command_id: '114', args: bin('1f8b0800000000000003ff00') }, expect: 'response', result: null },
  { name: 'update_upload_file_close', description: 'end of the uploaded file', direction: 'worker-to-master', request: { op: 'update_upload_file_close', seq_number: 7, command_id: '114' }, expect: 'response', result: null },
  { name: 'update_upload_file_utime', description: 'keepstamp: access and modification times, Unix seconds', direction: 'worker-to-master', request: { op: 'update_upload_file_utime', seq_number: 8, command_id: '114', access_time: 1700000000.123, modified_time: 1699999999.5 }, expect: 'response', result: null },
  { name: 'update_upload_directory_write', description: 'one block of the tar archive', direction: 'worker-to-master', request: { op: 'update_upload_directory_write', seq_number: 9, command_id: '115', args: bin('646f63732f00000000') }, expect: 'response', result: null },
  { name: 'update_upload_directory_unpack', description: 'archive complete: unpack it', direction: 'worker-to-master', request: { op: 'update_upload_directory_unpack', seq_number: 10, command_id: '115' }, expect: 'response', result: null },
  { name: 'update_read_file', description: 'read up to length bytes of the download source; result the bytes', direction: 'worker-to-master', request: { op: 'update_read_file', seq_number: 11, command_id: '116', length: 16384 }, expect: 'response', result: bin('23212f62696e2f73680a6563686f206f6b0a') },
  { name: 'update_read_file.eof', description: 'end of the source: an empty result', direction: 'worker-to-master', request: { op: 'update_read_file', seq_number: 12, command_id: '116', length: 16384 }, expect: 'response', result: Buffer.alloc(0) },
  { name: 'update_read_file_close', description: 'download finished', direction: 'worker-to-master', request: { op: 'update_read_file_close', seq_number: 13, command_id: '116' }, expect: 'response', result: null },
];

export const errors: VectorCase[] = [
  { name: 'unknown-op', description: 'an op nobody handles gets an exception; the connection stays open', direction: 'either', request: { op: 'frobnicate', seq_number: 0 }, expect: 'exception', exception: 'Command frobnicate does not exist.' },
  { name: 'unknown-command', description: 'start_command for a command the worker does not have', direction: 'master-to-worker', request: start(1, 'nope', {}), expect: 'exception', exception: "unrecognized WorkerCommand 'nope'" },
  { name: 'start_command.missing-command_id', description: 'a required field is missing', direction: 'master-to-worker', request: { op: 'start_command', seq_number: 2, command_name: 'stat', args: { path: '/x' } }, expect: 'exception', exception: 'invalid start_command message: missing field command_id' },
  { name: 'shell.command-wrong-type', description: 'shell args with a number as command', direction: 'master-to-worker', request: start(3, 'shell', { workdir: '/w', command: 42 }), expect: 'exception' },
  { name: 'shell.missing-workdir', description: 'shell args without workdir', direction: 'master-to-worker', request: start(4, 'shell', { command: ['true'] }), expect: 'exception', exception: 'invalid args for command shell: missing field workdir' },
  { name: 'update.rc-wrong-type', description: 'an update whose rc is a string', direction: 'worker-to-master', request: { op: 'update', seq_number: 5, command_id: '1', args: [['rc', 'zero']] }, expect: 'exception' },
  { name: 'update.args-not-pairs', description: 'update args given as a dict (the spec text), not a list of pairs', direction: 'worker-to-master', request: { op: 'update', seq_number: 6, command_id: '1', args: { rc: 0 } }, expect: 'exception' },
  { name: 'upload-write.text-instead-of-bytes', description: 'file blocks must be bytes (bin / $binary), not text', direction: 'worker-to-master', request: { op: 'update_upload_file_write', seq_number: 7, command_id: '1', args: 'text' }, expect: 'exception' },
  { name: 'read_file.negative-length', description: 'length must be a non-negative integer', direction: 'worker-to-master', request: { op: 'update_read_file', seq_number: 8, command_id: '1', length: -5 }, expect: 'exception' },
  { name: 'missing-op', description: 'no op but a usable seq_number: answered with an exception', direction: 'either', request: { seq_number: 9, message: 'no op' }, expect: 'exception', exception: 'invalid unknown message: missing field op' },
  { name: 'bad-seq_number', description: 'seq_number that is not a non-negative integer: nothing to answer, the connection closes 1002', direction: 'either', request: { op: 'print', seq_number: -1, message: 'x' }, expect: 'close', closeCode: 1002 },
  { name: 'response.bad-is_exception', description: 'a response whose is_exception is not a boolean cannot be answered: close 1002', direction: 'either', request: { op: 'response', seq_number: 0, result: null, is_exception: 'yes' }, expect: 'close', closeCode: 1002 },
  { name: 'msgpack.truncated', description: 'a msgpack map cut short: close 1003', direction: 'either', raw: { msgpack_hex: '82a26f70a57072696e74aa7365715f6e756d' }, expect: 'close', closeCode: 1003 },
  { name: 'msgpack.not-a-map', description: 'a msgpack array as the top-level value: close 1003', direction: 'either', raw: { msgpack_hex: '93010203' }, expect: 'close', closeCode: 1003 },
  { name: 'msgpack.trailing-bytes', description: 'bytes after the top-level value: close 1003', direction: 'either', raw: { msgpack_hex: '82a26f70a96b656570616c697665aa7365715f6e756d62657200c0' }, expect: 'close', closeCode: 1003 },
  { name: 'json.syntax-error', description: 'a text frame that is not JSON: close 1003', direction: 'either', raw: { json_text: '{"op": "keepalive", "seq_number": ' }, expect: 'close', closeCode: 1003 },
  { name: 'json.not-an-object', description: 'a JSON array as the top-level value: close 1003', direction: 'either', raw: { json_text: '[1, 2, 3]' }, expect: 'close', closeCode: 1003 },
  {
    name: 'unknown-op.long-name', description: 'an op name is cut to 200 characters in the answer (and in logs), so a peer cannot make them as large as its frames',
    direction: 'either', request: { op: 'x'.repeat(300), seq_number: 10 }, expect: 'exception', exception: `Command ${'x'.repeat(200)}... (300 characters) does not exist.`,
  },
  {
    name: 'stray-responses.too-many', description: 'a response nobody waits for is ignored, but more than maxPeerErrorsPerMinute (default 20) protocol errors in a minute close the connection 1008',
    direction: 'either', request: { op: 'response', seq_number: 4242, result: null }, repeat: 21, expect: 'close', closeCode: 1008,
  },
];
