import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TagError, checkTags, parseTagList, workerOs } from '../src/tags.js';
import { validateWorkerInfo } from '../src/validation.js';

test('a --tags list of key=value pairs and flags parses in order, without repeats', () => {
  assert.deepEqual(parseTagList('docker,gpu=a100,distro=debian-12,docker'), ['docker', 'gpu=a100', 'distro=debian-12']);
  assert.deepEqual(parseTagList(' a , b=c:d/e+f@g '), ['a', 'b=c:d/e+f@g']);
  assert.deepEqual(parseTagList(''), []);
});

test('malformed tags are refused with the offending tag and an example', () => {
  for (const bad of ['a,,b', 'a,', 'has space', '=v', 'k=', 'k=v=w', 'k=a,b=', '-x', 'k=ü']) {
    assert.throws(() => parseTagList(bad), (err: Error) => err instanceof TagError && /is not valid: write key=value or a bare flag.*--tags docker,gpu=a100/.test(err.message), bad);
  }
});

test('os and arch cannot be set by hand: the worker reports them from its platform', () => {
  assert.throws(() => parseTagList('os=windows'), /sets 'os', which the worker reports itself/);
  assert.throws(() => checkTags(['arch']), /sets 'arch'/);
});

test('one key with two values is refused', () => {
  assert.throws(() => parseTagList('gpu=a100,gpu=h100'), /give 'gpu' two values; keep one/);
  assert.throws(() => parseTagList('gpu,gpu=h100'), /two values/);
});

test('the os of a platform is linux, darwin or windows, and Node\'s name for others', () => {
  assert.equal(workerOs('linux'), 'linux');
  assert.equal(workerOs('darwin'), 'darwin');
  assert.equal(workerOs('win32'), 'windows');
  assert.equal(workerOs('freebsd'), 'freebsd');
});

test('the worker-info schema takes os, arch and well-formed tags, and refuses malformed ones', () => {
  const base = { environ: {}, system: 'posix', basedir: '/w', numcpus: 2, version: '0.1.0', worker_commands: { shell: '3.1' } };
  assert.equal(validateWorkerInfo({ ...base, os: 'linux', arch: 'x64', tags: ['docker', 'gpu=a100'] }).ok, true);
  assert.equal(validateWorkerInfo(base).ok, true, 'a Buildbot worker sends none of them');
  assert.equal(validateWorkerInfo({ ...base, tags: ['bad tag'] }).ok, false);
  assert.equal(validateWorkerInfo({ ...base, tags: 'docker' }).ok, false);
  assert.equal(validateWorkerInfo({ ...base, os: '' }).ok, false);
});
