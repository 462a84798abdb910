import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveTags, platformOf, reportedTags, selectorProblem } from '../src/workers/tags.js';

test('a mastro worker\'s platform is what it reports; a Buildbot worker\'s os is inferred from system nt or the os_* keys, and it has no arch', () => {
  assert.deepEqual(platformOf({ os: 'darwin', arch: 'arm64', system: 'posix' }), { os: 'darwin', arch: 'arm64' });
  assert.deepEqual(platformOf({ system: 'nt' }), { os: 'windows', arch: null });
  assert.deepEqual(platformOf({ system: 'posix', os_id: 'debian', os_version_id: '12' }), { os: 'linux', arch: null });
  assert.deepEqual(platformOf({ system: 'posix' }), { os: null, arch: null }, 'a POSIX worker without /etc/os-release may be macOS or a BSD');
  assert.deepEqual(platformOf({ os: 'li nux', arch: 42 }), { os: null, arch: null }, 'values that are no tag values select nothing');
});

test('the tags a worker reports are used when valid; text, os=, arch= and a second value of a key are left out and returned', () => {
  assert.deepEqual(reportedTags({ tags: ['docker', 'gpu=a100'] }), { tags: ['docker', 'gpu=a100'], ignored: [] });
  assert.deepEqual(reportedTags({}), { tags: [], ignored: [] });
  assert.deepEqual(reportedTags({ tags: 'docker\n' }), { tags: [], ignored: ['docker\n'] }, "a Buildbot worker's info/tags file is text");
  assert.deepEqual(reportedTags({ tags: ['os=windows', 'gpu=a', 'gpu=b', 'no spaces', 7, 'docker', 'docker'] }),
    { tags: ['gpu=a', 'docker'], ignored: ['os=windows', 'gpu=b', 'no spaces', 7] });
});

test('effective tags are os=, arch=, the worker\'s own, then the pool\'s for the keys the worker left unset', () => {
  assert.deepEqual(effectiveTags({ os: 'linux', arch: 'x64' }, ['gpu=a100', 'docker'], ['gpu=none', 'site=paris', 'docker']),
    ['os=linux', 'arch=x64', 'gpu=a100', 'docker', 'site=paris']);
  assert.deepEqual(effectiveTags({ os: null, arch: null }, [], ['ci']), ['ci']);
});

test('a builder\'s workerTags must be tags, and may not ask for two values of one key', () => {
  assert.equal(selectorProblem(['os=linux', 'arch=arm64', 'docker']), null);
  assert.match(selectorProblem(['os=linux', 'os=windows'])!.message, /give 'os' two values; no worker has both/);
  assert.equal(selectorProblem(['ok', 'not ok'])!.index, 1);
  assert.match(selectorProblem([3])!.message, /3 is not a tag/);
});
