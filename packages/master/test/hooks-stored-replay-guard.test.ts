/**
 * The replay memory of the change hooks in the database (www/hooks/stored-replay-guard.ts over
 * db/tables/hook-deliveries.ts), on SQLite and PostgreSQL: the window, the bound on rows, releasing a
 * claim, and the checks of the `replay` options.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StoredReplayGuard } from '../src/www/hooks/stored-replay-guard.js';
import { REPLAY_GUARD_DEFAULTS } from '../src/www/hooks/replay-guard.js';
import { createGithubHook } from '../src/www/hooks/github.js';
import { createGerritHook } from '../src/www/hooks/gerrit.js';
import { engines } from './support/db.js';

for (const engine of engines()) {
  describe(`stored replay guard (${engine.name})`, () => {
    test('a key is refused within the replay window and recorded again after it', async (t) => {
      const db = await engine.open();
      t.after(() => db.close());
      let now = 1_000_000;
      const g = new StoredReplayGuard(db.hookDeliveries, 'github', { ttlSeconds: 10, now: () => now });
      assert.ok(await g.claim('sha256:abc'));
      now += 9_999;
      assert.equal(await g.claim('sha256:abc'), null);
      now += 2;
      assert.ok(await g.claim('sha256:abc'), 'the window has passed');
      assert.equal(await db.hookDeliveries.count('github'), 1);
    });

    test('each dialect keeps at most maxEntries keys, the oldest going first, and only its own', async (t) => {
      const db = await engine.open();
      t.after(() => db.close());
      let now = 5_000;
      const gh = new StoredReplayGuard(db.hookDeliveries, 'github', { maxEntries: 3, now: () => now });
      const gl = new StoredReplayGuard(db.hookDeliveries, 'gitlab', { maxEntries: 3, now: () => now });
      assert.ok(await gl.claim('k0'));
      for (let i = 0; i < 5; i++) { now += 1; assert.ok(await gh.claim(`k${i}`)); }
      assert.equal(await db.hookDeliveries.count('github'), 3);
      assert.equal(await db.hookDeliveries.count('gitlab'), 1, 'another dialect with the same key is not touched');
      assert.ok(await gh.claim('k0'), 'the oldest key was forgotten');
      assert.equal(await gh.claim('k4'), null, 'the newest are kept');
    });

    test('a released claim can be claimed again (the delivery could not be recorded)', async (t) => {
      const db = await engine.open();
      t.after(() => db.close());
      const g = new StoredReplayGuard(db.hookDeliveries, 'gerrit');
      const claim = await g.claim('sha256:def');
      assert.ok(claim);
      assert.equal(await g.claim('sha256:def'), null);
      await claim.release();
      assert.ok(await g.claim('sha256:def'));
    });

    test('keys are stored as SHA-256 digests, never as sent', async (t) => {
      const db = await engine.open();
      t.after(() => db.close());
      await new StoredReplayGuard(db.hookDeliveries, 'github').claim(`delivery-${'x'.repeat(5000)}`);
      const rows = await db.kysely.selectFrom('hook_deliveries').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.match(rows[0]!.key_hash, /^[0-9a-f]{64}$/);
    });
  });
}

test('the default replay window covers the 3 days in which GitHub redelivers', () => {
  assert.equal(REPLAY_GUARD_DEFAULTS.ttlSeconds, 3 * 24 * 3600);
  assert.ok(REPLAY_GUARD_DEFAULTS.maxEntries >= 10_000);
});

test('bad replay options are refused naming their path', () => {
  assert.throws(() => createGithubHook({ replay: { ttlSeconds: 0 } }), /changeHooks\.github\.replay\.ttlSeconds must be a number of seconds above 0/);
  assert.throws(() => createGerritHook({ replay: { maxEntries: 1.5 } }), /changeHooks\.gerrit\.replay\.maxEntries must be an integer/);
  assert.throws(() => createGithubHook({ replay: { ttl: 5 } as any }), /changeHooks\.github\.replay\.ttl is not an option/);
});
