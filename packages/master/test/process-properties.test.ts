import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Properties } from '../src/process/properties.js';

test('properties keep their source and later sets win', () => {
  const p = new Properties({ branch: ['main', 'Scheduler'] });
  p.setProperty('branch', 'dev', 'Build');
  assert.equal(p.getProperty('branch'), 'dev');
  assert.equal(p.getPropertySource('branch'), 'Build');
  assert.deepEqual(p.asDict(), { branch: ['dev', 'Build'] });
});

test('values are copied so callers cannot mutate stored properties', () => {
  const p = new Properties();
  const arr = [1, 2];
  p.setProperty('a', arr, 'x');
  arr.push(3);
  assert.deepEqual(p.getProperty('a'), [1, 2]);
  (p.asDict().a[0] as number[]).push(9);
  assert.deepEqual(p.getProperty('a'), [1, 2]);
});

test('runtime properties are tracked separately and the set listener sees each change', () => {
  const p = new Properties();
  const seen: string[] = [];
  p.onSet((n, v, s) => seen.push(`${n}=${v}@${s}`));
  p.updateFromValues({ a: 1 }, 'Builder');
  p.setProperty('b', 'x', 'step', { runtime: true });
  assert.deepEqual(p.runtimeProperties(), { b: ['x', 'step'] });
  assert.deepEqual(seen, ['a=1@Builder', 'b=x@step']);
  assert.equal(p.getProperty('none', 'dflt'), 'dflt');
});
