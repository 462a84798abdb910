import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POOL_MEMBER_NAME_RE } from 'mastro-protocol';
import { generatedWorkerName } from '../src/worker-name.js';

test('a generated name is the host name\'s first label plus six random hex digits', () => {
  assert.equal(generatedWorkerName('Build-01.ci.example.org', () => '3fa9c2'), 'build-01-3fa9c2');
  assert.match(generatedWorkerName('box'), /^box-[0-9a-f]{6}$/);
  assert.notEqual(generatedWorkerName('box'), generatedWorkerName('box'), 'two directories on one host get different names');
});

test('any host name gives a valid pool worker name', () => {
  for (const host of ['', '.', '---', 'ünïcödé', 'a b c', 'x'.repeat(300), '_under', 'MY-PC', '1234']) {
    const name = generatedWorkerName(host, () => 'abcdef');
    assert.match(name, POOL_MEMBER_NAME_RE, `${host} -> ${name}`);
  }
  assert.equal(generatedWorkerName('', () => 'abcdef'), 'worker-abcdef');
  assert.equal(generatedWorkerName('x'.repeat(300), () => 'abcdef').length, 63);
});
