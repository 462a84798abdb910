import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TOKENS_PER_POOL, PoolRegistry } from '../src/workers/pool-auth.js';

const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';

test('a pool accepts each of its tokens, tells them apart, and accepts nothing for a pool it does not have', () => {
  const r = new PoolRegistry([{ name: 'linux', tokens: [A, B], maxWorkers: 5 }]);
  const a = r.check('linux', A);
  const b = r.check('linux', B);
  assert.ok(a && b && a !== b, 'each token has its own key');
  assert.equal(r.check('linux', 'token-c-0123456789abcdef'), null);
  assert.equal(r.check('linux', ''), null);
  assert.equal(r.check('other', A), null, 'a token of one pool opens no other');
  assert.equal(MAX_TOKENS_PER_POOL, 2);
});

test('after a reconfig a connection is still accepted only if its token is', () => {
  const r = new PoolRegistry([{ name: 'linux', tokens: [A, B], maxWorkers: 5 }]);
  const a = r.check('linux', A)!;
  const b = r.check('linux', B)!;
  r.replace([{ name: 'linux', tokens: [B], maxWorkers: 5 }]);
  assert.equal(r.accepts('linux', a), false, 'the removed token');
  assert.equal(r.accepts('linux', b), true);
  r.replace([]);
  assert.equal(r.accepts('linux', b), false, 'the removed pool');
  assert.equal(r.has('linux'), false);
});

test('a pool gives out maxWorkers places by distinct name; a name already in it always gets in, and places come back once', () => {
  const r = new PoolRegistry([{ name: 'p', tokens: [A], maxWorkers: 2 }]);
  const x = r.join('p', 'x')!;
  const y = r.join('p', 'y')!;
  assert.ok(x && y);
  assert.equal(r.join('p', 'z'), null, 'full');
  const x2 = r.join('p', 'x');
  assert.ok(x2, 'a second connection of x takes no new place');
  assert.equal(r.memberCount('p'), 2);
  x();
  x();
  assert.equal(r.join('p', 'z'), null, 'x still holds its place through its second connection (a double release counts once)');
  x2!();
  const z = r.join('p', 'z');
  assert.ok(z, 'the place x gave back');
  assert.equal(r.join('nosuch', 'a'), null, 'no places in a pool that does not exist');
});

test('a pool with no token or more than two is refused', () => {
  assert.throws(() => new PoolRegistry([{ name: 'p', tokens: [], maxWorkers: 1 }]), /give one, or two while rotating/);
  assert.throws(() => new PoolRegistry([{ name: 'p', tokens: [A, B, 'c'.repeat(20)], maxWorkers: 1 }]), /has 3 tokens/);
});
