/**
 * Webhook replays across a real master restart, on SQLite and PostgreSQL: a signed GitHub delivery
 * recorded before the master was killed (SIGKILL right after its 200) is refused after the restart,
 * under a new delivery id or with none, and records no second Change; a new push still records.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, freshPgDatabase, type MasterProcess } from './support/master-harness.js';
import { changeCount, fixture, hubSignature, postJson } from './support/change-e2e.js';
import { configSource } from './support/config.js';

const SECRET = 'replay-secret';

const config = (dbUrl: string) => configSource({ secret: SECRET, dbUrl }, (m, v) => m.defineConfig({
  db: { url: v.dbUrl },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { github: { secret: v.secret } } },
  workers: [m.worker('w0', 'pass')],
  builders: [m.builder({ name: 'b', workerNames: ['w0'], steps: [m.steps.shell({ command: ['true'] })] })],
}));

for (const engine of ['sqlite', 'postgresql'] as const) {
  const skip = engine === 'postgresql' && !process.env.MASTRO_TEST_PG_URL ? 'MASTRO_TEST_PG_URL is not set' : false;
  describe(`webhook replays across a master restart (${engine})`, { skip }, () => {
    let env: TestEnv;
    let pg: Awaited<ReturnType<typeof freshPgDatabase>> = null;
    let master: MasterProcess;

    before(async () => {
      env = new TestEnv();
      pg = engine === 'postgresql' ? await freshPgDatabase() : null;
      env.writeConfig(config(pg ? pg.url : 'sqlite:state.sqlite'));
      master = await env.startMaster();
    });
    after(async () => { await env.cleanup(); await pg?.drop(); });

    it('refuses a signed delivery recorded before a SIGKILL, whatever delivery id it carries', async () => {
      const body = JSON.stringify(fixture('github-push'));
      const sig = { 'x-github-event': 'push', 'x-hub-signature-256': hubSignature(SECRET, body) };
      const first = await postJson(master.ready.httpPort!, 'github', body, { ...sig, 'x-github-delivery': 'before-kill' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.changes.length, 2);
      await master.kill('SIGKILL');
      master = await env.startMaster();
      for (const headers of [{ ...sig, 'x-github-delivery': 'before-kill' }, { ...sig, 'x-github-delivery': 'after-kill' }, sig]) {
        const again = await postJson(master.ready.httpPort!, 'github', body, headers);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.deepEqual(again.body.changes, []);
        assert.match(again.body.message, /already received; ignored/);
      }
      assert.equal(await changeCount(master), 2);
      // Another push (another body) is no replay.
      const next = fixture('github-push');
      next.after = 'f'.repeat(40);
      next.head_commit.id = next.commits[0].id = 'f'.repeat(40);
      const nextBody = JSON.stringify(next);
      const other = await postJson(master.ready.httpPort!, 'github', nextBody, { 'x-github-event': 'push', 'x-hub-signature-256': hubSignature(SECRET, nextBody) });
      assert.equal(other.status, 200, JSON.stringify(other.body));
      assert.ok(other.body.changes.length >= 1);
    });
  });
}
