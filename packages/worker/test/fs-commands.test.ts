import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync, readFileSync, symlinkSync, lstatSync, chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { runCommand, tempDir } from './support/helpers.js';

test('stat sends the os.stat 10-tuple and rc 0', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'f'), 'abc');
  const r = await runCommand('stat', { path: path.join(dir, 'f') }, { basedir: dir });
  const st = r.value('stat') as number[];
  assert.equal(st.length, 10);
  assert.equal(st[6], 3);
  assert.ok((st[0]! & 0o170000) === 0o100000);
  assert.equal(r.rc(), 0);
});

test('stat of a missing file sends a header and the errno as rc', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('stat', { path: 'missing' }, { basedir: dir });
  assert.equal(r.rc(), 2);
  assert.match(r.text('header'), /stat: No such file or directory: missing/);
  assert.equal(r.failure, null);
});

test('listdir lists names; mkdir creates several paths with parents', async (t) => {
  const dir = tempDir(t);
  const mk = await runCommand('mkdir', { paths: [path.join(dir, 'a/b'), path.join(dir, 'c')] }, { basedir: dir });
  assert.equal(mk.rc(), 0);
  const ls = await runCommand('listdir', { path: dir }, { basedir: dir });
  assert.deepEqual((ls.value('files') as string[]).sort(), ['a', 'c']);
  assert.equal(ls.rc(), 0);
});

test('mkdir over an existing file reports the error', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'file'), '');
  const r = await runCommand('mkdir', { paths: [path.join(dir, 'file/sub')] }, { basedir: dir });
  assert.notEqual(r.rc(), 0);
  assert.match(r.text('header'), /mkdir: /);
});

test('rmdir removes a list of paths, files too, even unwritable trees', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'a/locked/inner'), { recursive: true });
  writeFileSync(path.join(dir, 'a/locked/inner/f'), 'x');
  chmodSync(path.join(dir, 'a/locked'), 0o000);
  writeFileSync(path.join(dir, 'file'), 'x');
  const r = await runCommand('rmdir', { paths: [path.join(dir, 'a'), path.join(dir, 'file'), path.join(dir, 'never-existed')] }, { basedir: dir });
  assert.equal(r.rc(), 0);
  assert.ok(!existsSync(path.join(dir, 'a')));
  assert.ok(!existsSync(path.join(dir, 'file')));
});

test('rmdir accepts the older single dir argument', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'x'));
  const r = await runCommand('rmdir', { dir: 'x' }, { basedir: dir });
  assert.equal(r.rc(), 0);
  assert.ok(!existsSync(path.join(dir, 'x')));
});

test('rmfile removes a file and reports a missing one', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'f'), '');
  assert.equal((await runCommand('rmfile', { path: path.join(dir, 'f') }, { basedir: dir })).rc(), 0);
  assert.ok(!existsSync(path.join(dir, 'f')));
  assert.equal((await runCommand('rmfile', { path: path.join(dir, 'f') }, { basedir: dir })).rc(), 2);
});

test('cpdir copies a tree keeping symlinks and modes', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'src/sub'), { recursive: true });
  writeFileSync(path.join(dir, 'src/sub/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync('sub/run.sh', path.join(dir, 'src/link'));
  const r = await runCommand('cpdir', { from_path: path.join(dir, 'src'), to_path: path.join(dir, 'out/copy') }, { basedir: dir });
  assert.equal(r.rc(), 0);
  assert.equal(readFileSync(path.join(dir, 'out/copy/sub/run.sh'), 'utf8'), '#!/bin/sh\n');
  assert.equal(statSync(path.join(dir, 'out/copy/sub/run.sh')).mode & 0o777, 0o755);
  assert.ok(lstatSync(path.join(dir, 'out/copy/link')).isSymbolicLink());
});

test('glob matches like Python glob, including ** and hidden-file rules', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'a/b'), { recursive: true });
  for (const f of ['x.txt', 'y.log', '.hidden.txt', 'a/z.txt', 'a/b/w.txt']) writeFileSync(path.join(dir, f), '');
  const files = async (pattern: string) => ((await runCommand('glob', { path: path.join(dir, pattern) }, { basedir: dir })).value('files') as string[]).map((f) => path.relative(dir, f)).sort();
  assert.deepEqual(await files('*.txt'), ['x.txt']);
  assert.deepEqual(await files('.*.txt'), ['.hidden.txt']);
  assert.deepEqual(await files('**/*.txt'), ['a/b/w.txt', 'a/z.txt', 'x.txt']);
  assert.deepEqual(await files('[xy].*'), ['x.txt', 'y.log']);
  assert.deepEqual(await files('nothing*'), []);
});

test('paths outside the basedir are refused, including through a symlink', async (t) => {
  const dir = tempDir(t);
  const outside = tempDir(t);
  writeFileSync(path.join(outside, 'secret'), 's');
  symlinkSync(outside, path.join(dir, 'escape'));
  for (const p of ['/etc/passwd', '../x', path.join(dir, 'escape/secret')]) {
    const r = await runCommand('stat', { path: p }, { basedir: dir });
    assert.equal(r.rc(), 1, p);
    assert.match(r.text('header'), /outside the worker's base directory/, p);
  }
  const rm = await runCommand('rmfile', { path: path.join(dir, 'escape/secret') }, { basedir: dir });
  assert.notEqual(rm.rc(), 0);
  assert.ok(existsSync(path.join(outside, 'secret')));
});

test('a command missing a required argument fails to start with a clear error', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(runCommand('shell', { command: ['true'] }, { basedir: dir }), /shell is missing args: workdir/);
});
