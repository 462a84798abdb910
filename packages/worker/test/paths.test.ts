import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { resolveWorkerPath, PathError } from '../src/paths.js';
import { tempDir } from './support/helpers.js';

test('relative paths resolve against the given base; absolute ones stay', (t) => {
  const dir = tempDir(t);
  const policy = { basedir: dir, allowOutsideBasedir: false };
  assert.equal(resolveWorkerPath(policy, path.join(dir, 'b'), 'w/x'), path.join(dir, 'b/w/x'));
  assert.equal(resolveWorkerPath(policy, dir, path.join(dir, 'abs')), path.join(dir, 'abs'));
});

test('.. and absolute escapes are refused with an actionable message', (t) => {
  const dir = tempDir(t);
  const policy = { basedir: dir, allowOutsideBasedir: false };
  assert.throws(() => resolveWorkerPath(policy, dir, '../x'), PathError);
  assert.throws(() => resolveWorkerPath(policy, dir, '/etc'), /--allow-paths-outside-basedir/);
  assert.throws(() => resolveWorkerPath(policy, dir, `${dir}-sibling/x`), PathError);
});

test('a symlink inside the basedir pointing outside does not open a way out', (t) => {
  const dir = tempDir(t);
  const outside = tempDir(t);
  mkdirSync(path.join(dir, 'b'));
  symlinkSync(outside, path.join(dir, 'b/out'));
  assert.throws(() => resolveWorkerPath({ basedir: dir, allowOutsideBasedir: false }, dir, 'b/out/not-yet/file'), PathError);
});

test('allowOutsideBasedir lifts the restriction', (t) => {
  const dir = tempDir(t);
  assert.equal(resolveWorkerPath({ basedir: dir, allowOutsideBasedir: true }, dir, '/etc'), '/etc');
});

test('names inside the basedir that merely begin with two dots (..cache, ...) are allowed', (t) => {
  const dir = tempDir(t);
  const policy = { basedir: dir, allowOutsideBasedir: false };
  assert.equal(resolveWorkerPath(policy, dir, '..cache'), path.join(dir, '..cache'));
  assert.equal(resolveWorkerPath(policy, dir, '..cache/pip/x'), path.join(dir, '..cache/pip/x'));
  assert.equal(resolveWorkerPath(policy, dir, path.join(dir, '...')), path.join(dir, '...'));
  mkdirSync(path.join(dir, '..real'));
  assert.equal(resolveWorkerPath(policy, dir, '..real/f'), path.join(dir, '..real/f'));
  // The parent itself and anything through it still escape.
  assert.throws(() => resolveWorkerPath(policy, path.join(dir, 'b'), '../..'), PathError);
  assert.throws(() => resolveWorkerPath(policy, dir, '..'), PathError);
  assert.throws(() => resolveWorkerPath(policy, dir, '../..cache'), PathError);
});

test('on Windows paths from the master resolve with drive letters and backslashes, and escapes are refused', () => {
  const policy = { basedir: 'C:\\mastro\\worker', allowOutsideBasedir: false, platform: 'win32' as const };
  const builder = 'C:\\mastro\\worker\\runtests';
  assert.equal(resolveWorkerPath(policy, builder, 'build\\out.txt'), 'C:\\mastro\\worker\\runtests\\build\\out.txt');
  assert.equal(resolveWorkerPath(policy, builder, 'build/out.txt'), 'C:\\mastro\\worker\\runtests\\build\\out.txt');
  assert.equal(resolveWorkerPath(policy, builder, 'c:\\MASTRO\\Worker\\runtests\\x'), 'c:\\MASTRO\\Worker\\runtests\\x', 'another case is the same directory');
  assert.throws(() => resolveWorkerPath(policy, builder, '..\\..\\..\\Windows\\System32'), PathError);
  assert.throws(() => resolveWorkerPath(policy, builder, 'D:\\data'), PathError);
  assert.throws(() => resolveWorkerPath(policy, builder, '/etc/passwd'), /outside the worker's base directory 'C:\\mastro\\worker'/, 'a POSIX path lands on the current drive, outside');
  assert.throws(() => resolveWorkerPath(policy, builder, '\\\\evil\\share\\x'), PathError);
  assert.equal(resolveWorkerPath({ ...policy, allowOutsideBasedir: true }, builder, 'D:\\data'), 'D:\\data');
});
