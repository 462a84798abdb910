import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POOL_HEADER, poolNameProblem, poolOfRequest, poolRefusal, poolWorkerName } from '../src/pool.js';

test('pool and worker names are 1 to 63 letters, digits, dots, underscores or dashes, starting with a letter or digit', () => {
  for (const ok of ['linux', 'build-01', 'a', 'x86_64.pool', 'A'.repeat(63), '0day']) assert.equal(poolNameProblem('pool name', ok), null, ok);
  for (const bad of ['', '-lead', '.hidden', 'has space', 'a/b', 'a:b', 'ü', 'A'.repeat(64), 'tab\t']) {
    assert.match(poolNameProblem('worker name', bad) ?? '', /^worker name .* is not valid: use 1 to 63 letters, digits, '\.', '_' or '-'/, bad);
  }
});

test('an overlong name is shown cut in the message, with its length', () => {
  const problem = poolNameProblem('pool name', 'x'.repeat(10_000))!;
  assert.ok(problem.length < 300, problem);
  assert.match(problem, /\(10000 characters\)/);
});

test('a pool worker is called POOL/NAME', () => {
  assert.equal(poolWorkerName('linux', 'build-01-3fa9c2'), 'linux/build-01-3fa9c2');
});

test('the X-Mastro-Pool header of an upgrade request is read as absent, a pool, or an error to answer with 400', () => {
  assert.equal(POOL_HEADER, 'X-Mastro-Pool');
  assert.equal(poolOfRequest(undefined), null);
  assert.deepEqual(poolOfRequest(' linux '), { pool: 'linux' });
  assert.match((poolOfRequest('a/b') as { error: string }).error, /^X-Mastro-Pool: pool name "a\/b" is not valid/);
  assert.match((poolOfRequest('') as { error: string }).error, /is not valid/);
  assert.match((poolOfRequest(['a', 'b']) as { error: string }).error, /sent 2 times; send it once/);
});

test('a refusal without the echoed pool header comes from a master that does not know pools', () => {
  assert.equal(poolRefusal(undefined), 'master-without-pools');
  assert.equal(poolRefusal('linux'), 'refused-by-pool-master');
});
