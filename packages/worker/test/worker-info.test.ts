import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateWorkerInfo } from 'mastro-protocol';
import { workerInfo, readOsRelease } from '../src/worker-info.js';
import { tempDir } from './support/helpers.js';

test('worker info carries the info/ files and Buildbot 3.7 keys', (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'info'));
  writeFileSync(path.join(dir, 'info/admin'), 'Ann <ann@x>\n');
  writeFileSync(path.join(dir, 'info/host'), 'box\n');
  writeFileSync(path.join(dir, 'info/access_uri'), 'ssh://box\n');
  const info = workerInfo(dir);
  assert.equal(info.admin, 'Ann <ann@x>\n');
  assert.equal(info.host, 'box\n');
  assert.equal(info.access_uri, 'ssh://box\n');
  assert.equal(info.system, 'posix');
  assert.equal(info.basedir, dir);
  assert.ok((info.numcpus as number) >= 1);
  assert.equal(typeof info.version, 'string');
  assert.equal((info.environ as Record<string, string>).PATH, process.env.PATH);
  const cmds = info.worker_commands as Record<string, string>;
  for (const c of ['shell', 'stat', 'glob', 'listdir', 'mkdir', 'rmdir', 'rmfile', 'cpdir', 'upload_file', 'upload_directory', 'download_file']) assert.equal(cmds[c], '3.1');
  assert.equal(info.delete_leftover_dirs, false);
});

test('os-release keys become os_* entries', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'os-release'), '# comment\nID=debian\nVERSION_ID="12"\nEMPTY=\n');
  assert.deepEqual(readOsRelease(path.join(dir, 'os-release')), { os_id: 'debian', os_version_id: '12' });
});

test('the worker reports os, arch and its tags beside Buildbot\'s keys, for each platform', (t) => {
  const dir = tempDir(t);
  const cases: Array<[NodeJS.Platform, string, string, string]> = [
    ['linux', 'x64', 'linux', 'posix'], ['darwin', 'arm64', 'darwin', 'posix'], ['win32', 'x64', 'windows', 'nt'], ['freebsd', 'x64', 'freebsd', 'posix'],
  ];
  for (const [platform, arch, os, system] of cases) {
    const info = workerInfo(dir, { platform, arch, tags: ['docker', 'gpu=a100'], osReleaseFile: null });
    assert.equal(info.os, os, platform);
    assert.equal(info.arch, arch, platform);
    assert.equal(info.system, system, platform);
    assert.deepEqual(info.tags, ['docker', 'gpu=a100'], platform);
    assert.equal(validateWorkerInfo(info).ok, true, platform);
  }
});

test('by default the host\'s own platform and architecture are reported, and no tags', (t) => {
  const info = workerInfo(tempDir(t));
  assert.equal(info.os, process.platform === 'win32' ? 'windows' : process.platform);
  assert.equal(info.arch, process.arch);
  assert.deepEqual(info.tags, []);
});

test('info files named os, arch or tags do not override what the worker reports itself', (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'info'));
  for (const name of ['os', 'arch', 'tags']) writeFileSync(path.join(dir, 'info', name), 'bogus\n');
  const info = workerInfo(dir, { platform: 'linux', arch: 'arm64', tags: ['x'] });
  assert.deepEqual([info.os, info.arch, info.tags], ['linux', 'arm64', ['x']]);
});
