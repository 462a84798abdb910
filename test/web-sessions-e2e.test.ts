/**
 * Browser sessions on a real master, on SQLite and PostgreSQL: a login survives a master restart
 * (even a SIGKILL right after it), a logout ends the session for good, an expired session is
 * refused and its row deleted, and the table never holds the cookie's token.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestEnv, freshPgDatabase, waitUntil, type MasterProcess } from './support/master-harness.js';
import { webLogin, webLogout, whoAmI } from './support/web-client.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';
import { openDatabase, type Db } from '../packages/master/src/db/index.js';
import { configSource } from './support/config.js';

const config = (dbUrl: string, sessionTtlSec = 3600) => configSource({ dbUrl, sessionTtlSec }, (m, v) => m.defineConfig({
  title: 'sessions',
  db: { url: v.dbUrl },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1', auth: { sessionTtlSec: v.sessionTtlSec }, authz: { anonymousView: false } },
  workers: [m.worker('w0', 'pass')],
  builders: [m.builder({ name: 'b', workerNames: ['w0'], steps: [m.steps.shell({ command: ['true'] })] })],
}));

for (const engine of ['sqlite', 'postgresql'] as const) {
  const skip = engine === 'postgresql' && !process.env.MASTRO_TEST_PG_URL ? 'MASTRO_TEST_PG_URL is not set' : false;
  describe(`web sessions across master restarts (${engine})`, { skip }, () => {
    let env: TestEnv;
    let pg: Awaited<ReturnType<typeof freshPgDatabase>> = null;
    let dbUrl: string;
    let master: MasterProcess;
    let db: Db;
    const base = () => `http://127.0.0.1:${master.ready.httpPort}`;
    const restart = async (how: 'SIGKILL' | 'graceful') => {
      if (how === 'SIGKILL') await master.kill('SIGKILL');
      else { await master.call('stop').catch(() => {}); await master.exited; }
      master = await env.startMaster();
    };

    before(async () => {
      env = new TestEnv();
      pg = engine === 'postgresql' ? await freshPgDatabase() : null;
      dbUrl = pg?.url ?? 'sqlite:state.sqlite';
      await new UsersStore(env.masterDir).add('alice', 'alice-password', ['admin']);
      env.writeConfig(config(dbUrl));
      master = await env.startMaster();
      // The test reads the master's table through its own connection (the master's schema is migrated by now).
      db = await openDatabase(pg?.url ?? `sqlite:${join(env.masterDir, 'state.sqlite')}`);
    });

    after(async () => {
      await db?.close();
      await env.cleanup();
      await pg?.drop();
    });

    it('a logged-in browser stays logged in after the master is killed and started again', async () => {
      const s = await webLogin(base(), 'alice', 'alice-password');
      assert.equal(await whoAmI(base(), s.cookie), 'alice');
      await restart('SIGKILL');
      assert.equal(await whoAmI(base(), s.cookie), 'alice');
      const api = await fetch(`${base()}/api/v2/builders`, { headers: { cookie: s.cookie } });
      assert.equal(api.status, 200, 'the restored session may view (anonymous may not here)');
      const anonymous = await fetch(`${base()}/api/v2/builders`);
      assert.equal(anonymous.status, 401);
    });

    it('the table keeps a SHA-256 of the session token, not the token', async () => {
      const s = await webLogin(base(), 'alice', 'alice-password');
      const token = /mastro_session=([^;]+)/.exec(s.cookie)![1]!;
      const rows = await db.kysely.selectFrom('web_sessions').selectAll().execute();
      assert.ok(rows.length >= 1);
      assert.ok(!JSON.stringify(rows).includes(decodeURIComponent(token)));
    });

    it('logout deletes the session: the cookie is refused, also after a restart', async () => {
      const s = await webLogin(base(), 'alice', 'alice-password');
      const before = await db.webSessions.count();
      assert.equal(await webLogout(base(), s), 200);
      assert.equal(await whoAmI(base(), s.cookie), null);
      assert.equal(await db.webSessions.count(), before - 1);
      await restart('graceful');
      assert.equal(await whoAmI(base(), s.cookie), null);
    });

    it('an expired session is refused and its row deleted (session lifetime changed by reconfig)', async () => {
      env.writeConfig(config(dbUrl, 1));
      assert.equal((await master.call('reconfig')).ok, true);
      const s = await webLogin(base(), 'alice', 'alice-password');
      assert.equal(await whoAmI(base(), s.cookie), 'alice');
      const count = await db.webSessions.count();
      const expiresAt = Date.now() + 1000;
      await waitUntil(() => Date.now() > expiresAt, 'the one-second session lifetime to pass', 5000);
      assert.equal(await whoAmI(base(), s.cookie), null);
      // The refusal does not wait for the delete to commit (SQLite group-commits at the end of the
      // master's event-loop turn), so this connection sees the row go a moment after the answer.
      await waitUntil(async () => (await db.webSessions.count()) === count - 1, 'the expired row to be deleted after it was read', 5000);
    });
  });
}
