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

test('on Windows variable names are case-insensitive: a step sets, expands and removes Path, Temp and the like whatever their case', () => {
  const base = { Path: 'C:\\Windows\\system32', Temp: 'C:\\Temp', SystemRoot: 'C:\\Windows' };
  const env = buildEnvironment({ PATH: ['C:\\tools', '${PATH}'], TEMP: null, systemroot: '${SYSTEMROOT}' }, base, ';', 'win32');
  assert.deepEqual(env, { PATH: 'C:\\tools;C:\\Windows\\system32', systemroot: 'C:\\Windows' });
});

test('on Linux and macOS variable names that differ in case are different variables', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    const env = buildEnvironment({ PATH: '/opt/bin:${PATH}', temp: null }, { PATH: '/usr/bin', Path: 'x', TEMP: '/tmp' }, ':', platform);
    assert.deepEqual(env, { PATH: '/opt/bin:/usr/bin', Path: 'x', TEMP: '/tmp' }, platform);
  }
});
