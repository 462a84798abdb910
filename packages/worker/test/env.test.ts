import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvironment } from '../src/process/env.js';

test('PYTHONPATH is prepended to, not replaced', () => {
  const env = buildEnvironment({ PYTHONPATH: ['/a', '/b'] }, { PYTHONPATH: '/old' }, ':');
  assert.equal(env.PYTHONPATH, '/a:/b:/old');
});

test('without a request the worker environment is passed through', () => {
  assert.deepEqual(buildEnvironment(null, { X: '1' }), { X: '1' });
});

test('list separators follow the platform given', () => {
  assert.equal(buildEnvironment({ P: ['a', 'b'] }, {}, ';').P, 'a;b');
});

test('non-string values are refused with the key named', () => {
  assert.throws(() => buildEnvironment({ K: { x: 1 } }, {}), /key 'K'/);
});
