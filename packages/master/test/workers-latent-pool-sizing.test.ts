import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idleToStop, instancesToStart } from '../src/workers/latent/pool-sizing.js';

test('a pool starts one instance per unserved request, never beyond max', () => {
  assert.equal(instancesToStart({ min: 0, max: 4, live: 0 }, 12), 4);
  assert.equal(instancesToStart({ min: 0, max: 4, live: 3 }, 12), 1);
  assert.equal(instancesToStart({ min: 0, max: 4, live: 4 }, 12), 0);
  assert.equal(instancesToStart({ min: 0, max: 8, live: 2 }, 3), 3);
  assert.equal(instancesToStart({ min: 0, max: 8, live: 2 }, 0), 0);
  assert.equal(instancesToStart({ min: 0, max: 8, live: 0 }, -1), 0);
});

test('a pool keeps min running without requests, and requests beyond the warm ones start more', () => {
  assert.equal(instancesToStart({ min: 2, max: 4, live: 0 }, 0), 2);
  assert.equal(instancesToStart({ min: 2, max: 4, live: 1 }, 0), 1);
  assert.equal(instancesToStart({ min: 2, max: 4, live: 2 }, 0), 0);
  // Unserved requests are those no live instance will take: the warm shortfall is covered by them.
  assert.equal(instancesToStart({ min: 2, max: 4, live: 0 }, 3), 3);
  assert.equal(instancesToStart({ min: 4, max: 4, live: 0 }, 1), 4);
});

test('idle instances may stop only while the others still make min', () => {
  assert.equal(idleToStop({ min: 0, max: 4, live: 4 }, 4), 4);
  assert.equal(idleToStop({ min: 1, max: 4, live: 4 }, 4), 3);
  assert.equal(idleToStop({ min: 1, max: 4, live: 4 }, 2), 2);
  assert.equal(idleToStop({ min: 3, max: 4, live: 4 }, 2), 1);
  assert.equal(idleToStop({ min: 2, max: 4, live: 2 }, 2), 0);
  assert.equal(idleToStop({ min: 2, max: 4, live: 1 }, 1), 0);
});
