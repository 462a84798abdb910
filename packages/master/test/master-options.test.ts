/**
 * Limits the READMEs document reach a master started from its config file (master.ts, and
 * master/components.ts for the HTTP server): `www.ws.*` bounds every /ws connection and the log
 * options (`logChunkSize`, ...) shape how logs are stored. A YAML config, a real in-process master
 * on loopback, SQLite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { Master } from '../src/master.js';

async function startMaster(t: { after(fn: () => Promise<void> | void): void }, yaml: string): Promise<Master> {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-options-'));
  writeFileSync(join(dir, 'master.config.yaml'), `db: { url: 'sqlite:state.sqlite' }
protocols: { msgpack: { port: 0, host: 127.0.0.1 } }
${yaml}`);
  const master = await Master.start(dir, { logger: pino({ level: 'silent' }), readyFile: false });
  t.after(async () => { await master.stop({ graceMs: 0 }); rmSync(dir, { recursive: true, force: true }); });
  return master;
}

/** Opens /ws and sends `startConsuming` for each path, collecting the answer codes in order. */
async function subscribe(port: number, paths: string[]): Promise<number[]> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  const codes: number[] = [];
  try {
    for (const [i, path] of paths.entries()) {
      const answer = new Promise<{ code: number }>((resolve) => {
        const onMessage = (data: WebSocket.RawData) => {
          const m = JSON.parse(String(data));
          if (m._id === i + 1) { ws.off('message', onMessage); resolve(m); }
        };
        ws.on('message', onMessage);
      });
      ws.send(JSON.stringify({ cmd: 'startConsuming', path, _id: i + 1 }));
      codes.push((await answer).code);
    }
  } finally { ws.terminate(); }
  return codes;
}

test('www.ws.maxSubscriptions from the config bounds the subscriptions of a /ws connection', async (t) => {
  const master = await startMaster(t, 'www: { port: 0, host: 127.0.0.1, ws: { maxSubscriptions: 2 } }\n');
  assert.deepEqual(await subscribe(master.httpPort!, ['builds/*/new', 'changes/*/new', 'buildsets/*/new']), [200, 200, 429]);
});

test('logChunkSize from the config sets the size of stored log chunks', async (t) => {
  const master = await startMaster(t, 'www: null\nlogChunkSize: 1024\nlogFlushDelayMs: 0\n');
  const u = master.data.updates;
  const builderid = await u.findBuilderId('b');
  const workerid = await u.findWorkerId('w');
  const { brids } = await u.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
  const { buildid } = await u.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid: master.masterid, state_string: '' });
  const { stepid } = await u.addStep({ buildid, name: 'x' });
  const logid = await u.addLog({ stepid, name: 'stdio', type: 's' });
  // 64 KiB of output: one chunk row at the default (256 KiB), dozens at 1 KiB.
  await u.appendLog(logid, Array.from({ length: 1024 }, (_, i) => `${String(i).padStart(4, '0')} ${'x'.repeat(58)}`).join('\n') + '\n', 'o');
  await u.finishLog(logid);
  const rows = await master.db.kysely.selectFrom('logchunks').select(['first_line', 'last_line']).where('logid', '=', logid).execute();
  assert.ok(rows.length >= 60, `${rows.length} chunk rows for 64 KiB at logChunkSize 1024`);
});
