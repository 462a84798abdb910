import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { spawnSpec } from '../src/process/spawn-spec.js';

test('on Linux and macOS a string command runs through /bin/sh -c in a process group of its own', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    assert.deepEqual(spawnSpec('make test && echo ok', platform, undefined),
      { file: '/bin/sh', args: ['-c', 'make test && echo ok'], verbatim: false, detached: true }, platform);
  }
});

test('on Linux and macOS a list command runs directly, each word one argument', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    assert.deepEqual(spawnSpec(['git', 'log', '--format=%H %s', 'a b'], platform, undefined),
      { file: 'git', args: ['log', '--format=%H %s', 'a b'], verbatim: false, detached: true }, platform);
  }
});

test('on Windows a string command runs through %COMSPEC% /c, verbatim, without a process group', () => {
  assert.deepEqual(spawnSpec('nmake test & echo ok', 'win32', 'C:\\Windows\\system32\\cmd.exe'),
    { file: 'C:\\Windows\\system32\\cmd.exe', args: ['/c', 'nmake test & echo ok'], verbatim: true, detached: false });
  assert.deepEqual(spawnSpec('dir', 'win32', undefined), { file: 'cmd.exe', args: ['/c', 'dir'], verbatim: true, detached: false }, 'no COMSPEC: cmd.exe');
});

test('on Windows the arguments COMSPEC carries are kept and /c is given once, last', () => {
  assert.deepEqual(spawnSpec('dir', 'win32', 'cmd.exe /d /C').args, ['/d', '/c', 'dir']);
});

test('on Windows a list command that is not an absolute .exe runs through cmd /c, quoted as for a batch file', () => {
  const spec = spawnSpec(['build.bat', 'C:\\Program Files\\x', '50%', 'a&b'], 'win32', 'cmd.exe');
  assert.deepEqual(spec, { file: 'cmd.exe', args: ['/c', 'build.bat ^"C:\\Program Files\\x^" 50%% a^&b'], verbatim: true, detached: false });
  assert.equal(spawnSpec(['python.exe', '-V'], 'win32', 'cmd.exe').file, 'cmd.exe', 'a bare .exe is looked up by cmd.exe on PATH');
});

test('on Windows an absolute .exe runs directly, whatever the case of its extension', () => {
  assert.deepEqual(spawnSpec(['C:\\Python311\\Python.EXE', '-c', 'print(1)'], 'win32', 'cmd.exe'),
    { file: 'C:\\Python311\\Python.EXE', args: ['-c', 'print(1)'], verbatim: false, detached: false });
  assert.equal(spawnSpec(['D:/tools/git.exe', 'status'], 'win32', 'cmd.exe').file, 'D:/tools/git.exe', 'forward slashes are a Windows path too');
});

test('an empty list is refused', () => {
  for (const platform of ['linux', 'win32'] as const) assert.throws(() => spawnSpec([], platform, undefined), /the command is an empty list/);
});

test('on this Linux host the spec runs for real: the shell runs the string and the command leads its own process group', { skip: process.platform !== 'linux' && 'needs Linux /proc' }, async () => {
  const spec = spawnSpec('echo "$((6 * 7))"; sleep 0.01', 'linux', undefined);
  const child = spawn(spec.file, spec.args, { detached: spec.detached, stdio: ['ignore', 'pipe', 'inherit'] });
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(out, '42\n');
  assert.equal(pgrp, child.pid, 'the command leads its own process group');
});
