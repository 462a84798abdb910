import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBuilddir, expandWorkerUser, joinWorkerPath, toWorkerArgs } from '../src/workers/worker-paths.js';

test('worker paths join like Python os.path.join: an absolute part restarts the path', () => {
  assert.equal(joinWorkerPath('posix', '/base/b', 'build', 'x.txt'), '/base/b/build/x.txt');
  assert.equal(joinWorkerPath('posix', '/base/b', '/abs/dir'), '/abs/dir');
  assert.equal(joinWorkerPath('posix', '/base/b', ''), '/base/b');
  assert.equal(joinWorkerPath('win32', 'C:\\w\\b', 'build'), 'C:\\w\\b\\build');
  assert.equal(joinWorkerPath('win32', 'C:\\w\\b', 'D:\\other'), 'D:\\other');
});

test("~ expands with the worker's own HOME, not the master's", () => {
  assert.equal(expandWorkerUser('posix', '~/out/a.bin', { HOME: '/home/bot' }), '/home/bot/out/a.bin');
  assert.equal(expandWorkerUser('posix', 'rel/~x', { HOME: '/home/bot' }), 'rel/~x');
  assert.equal(expandWorkerUser('win32', '~\\out', { USERPROFILE: 'C:\\Users\\bot' }), 'C:\\Users\\bot\\out');
  assert.equal(expandWorkerUser('posix', '~/x', {}), '~/x');
});

test('builder names become safe directory names', () => {
  assert.equal(defaultBuilddir('linux-x86_64.release'), 'linux-x86_64.release');
  assert.equal(defaultBuilddir('a/b c'), 'a_b_c');
  assert.equal(defaultBuilddir('..'), '__');
});

test('want_stdout and want_stderr travel as booleans over msgpack', () => {
  const [, args] = toWorkerArgs('posix', '/b', undefined, 'shell', { workdir: 'w', command: 'x', want_stdout: 0, want_stderr: 1 });
  assert.deepEqual(args, { workdir: '/b/w', command: 'x', want_stdout: false, want_stderr: true });
});
