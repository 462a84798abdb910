import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingLogFile } from '../src/rotating-log-file.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-rotate-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Writes `text` the way the loggers do: to fd, reported, rotating when due first. */
function write(f: RotatingLogFile, text: string): void {
  if (f.due) assert.equal(f.rotate(), null);
  f.written(writeSync(f.fd, text));
}

test('a file past rotateLength becomes FILE.1, the older ones move up, and only maxRotatedFiles are kept', () => withDir((dir) => {
  const path = join(dir, 'x.log');
  const f = new RotatingLogFile(path, { rotateLength: 10, maxRotatedFiles: 3 });
  for (let i = 0; i < 8; i++) write(f, `line ${i} of ten\n`);
  f.close();
  assert.deepEqual(f.rotatedFiles(), [`${path}.1`, `${path}.2`, `${path}.3`]);
  assert.equal(existsSync(`${path}.4`), false);
  // Newest last: the current file, then .1, .2, .3 backwards in time.
  assert.equal(readFileSync(path, 'utf8'), 'line 7 of ten\n');
  assert.equal(readFileSync(`${path}.1`, 'utf8'), 'line 6 of ten\n');
  assert.equal(readFileSync(`${path}.3`, 'utf8'), 'line 4 of ten\n');
}));

test('maxRotatedFiles null keeps every rotated file, rotateLength null never rotates', () => withDir((dir) => {
  const all = new RotatingLogFile(join(dir, 'all.log'), { rotateLength: 10, maxRotatedFiles: null });
  for (let i = 0; i < 6; i++) write(all, `line ${i} of six\n`);
  all.close();
  assert.equal(all.rotatedFiles().length, 5);
  const never = new RotatingLogFile(join(dir, 'never.log'), { rotateLength: null, maxRotatedFiles: 2 });
  for (let i = 0; i < 6; i++) write(never, `line ${i} of six\n`);
  never.close();
  assert.deepEqual(never.rotatedFiles(), []);
  assert.equal(readFileSync(join(dir, 'never.log'), 'utf8').split('\n').length, 7);
}));

test('the size of an existing file counts: a restarted process rotates a full file before writing', () => withDir((dir) => {
  const path = join(dir, 'x.log');
  const first = new RotatingLogFile(path, { rotateLength: 20, maxRotatedFiles: 1 });
  write(first, 'twenty-five bytes of log\n');
  first.close();
  const second = new RotatingLogFile(path, { rotateLength: 20, maxRotatedFiles: 1 });
  assert.equal(second.due, true);
  write(second, 'after the restart\n');
  second.close();
  assert.equal(readFileSync(`${path}.1`, 'utf8'), 'twenty-five bytes of log\n');
  assert.equal(readFileSync(path, 'utf8'), 'after the restart\n');
}));

test('reopen() starts a new file where an external logrotate moved the old one away', () => withDir((dir) => {
  const path = join(dir, 'x.log');
  const f = new RotatingLogFile(path, { rotateLength: null, maxRotatedFiles: null });
  write(f, 'before\n');
  renameSync(path, `${path}.moved`);
  write(f, 'still into the moved file\n');
  assert.equal(f.reopen(), null);
  write(f, 'after\n');
  f.close();
  assert.equal(readFileSync(`${path}.moved`, 'utf8'), 'before\nstill into the moved file\n');
  assert.equal(readFileSync(path, 'utf8'), 'after\n');
}));

test('a rotation that cannot rename keeps writing into the current file and says why', () => withDir((dir) => {
  const path = join(dir, 'x.log');
  const f = new RotatingLogFile(path, { rotateLength: 5, maxRotatedFiles: 2 });
  f.written(writeSync(f.fd, 'some text\n'));
  rmSync(path); // the file is gone from under it: renaming it fails
  const err = f.rotate();
  assert.equal((err as NodeJS.ErrnoException | null)?.code, 'ENOENT');
  f.written(writeSync(f.fd, 'more\n')); // the descriptor is still good
  f.close();
}));
