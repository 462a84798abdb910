/**
 * Runs a real master in this process (as `mastro start --foreground` would) and answers a few
 * requests from the test that spawned it over the IPC channel:
 *   { id, op: 'submit', builderNames, revision?, branch? }   -> { bsid, brids }
 *   { id, op: 'get', path, spec? }                           -> the data API result
 *   { id, op: 'stop', graceMs? }                             -> graceful stop, then exit
 *   { id, op: 'reconfig' }                                   -> { ok, issues }
 *   { id, op: 'stopBuild' | 'rebuild', buildid }             -> the engine control action's result
 *   { id, op: 'runScheduler', name }                         -> fires a scheduler with `runNow()` (nightly) as its
 *                                                               cron would, once the changes seen so far are handled
 * Signals behave as in production (SIGTERM graceful stop, SIGHUP reconfig). Usage:
 *   node --import tsx test/support/master-child.ts MASTER_DIR
 */
import { startMaster } from '../../packages/master/src/master.js';

const dir = process.argv[2];
if (!dir) { console.error('usage: master-child.ts MASTER_DIR'); process.exit(2); }

const master = await startMaster(dir, { handleSignals: true, readyLine: true });
// Also over IPC, for a parent that sends this process's output to a file (as `mastro start` does).
process.send?.({ op: 'ready', ready: { pid: process.pid, masterid: master.masterid, workerPort: master.workerPort, httpPort: master.httpPort, monitoringPort: master.monitoringPort, dir: master.dir } });

type Msg = { id: number; op: string; [k: string]: any };
process.on('message', async (msg: Msg) => {
  const reply = (body: unknown) => process.send?.({ id: msg.id, ...(body as object) });
  try {
    switch (msg.op) {
      case 'submit': {
        const builderids = await Promise.all((msg.builderNames as string[]).map((n) => master.data.updates.findBuilderId(n)));
        const res = await master.data.updates.addBuildset({
          scheduler: 'test', reason: 'test', builderids,
          sourcestamps: [{ codebase: '', repository: msg.repository ?? '', branch: msg.branch ?? 'main', revision: msg.revision ?? null, project: '' }],
        });
        reply({ result: res });
        break;
      }
      case 'get': reply({ result: await master.data.get(msg.path, msg.spec ?? {}) }); break;
      case 'reconfig': reply({ result: await master.reconfig() }); break;
      case 'stopBuild': reply({ result: await master.stopBuild(msg.buildid, msg.reason) }); break;
      case 'rebuild': reply({ result: await master.rebuild(msg.buildid) }); break;
      case 'locks': reply({ result: master.describeLocks() }); break;
      case 'runScheduler': {
        const s = master.schedulerInstances().find((x: any) => x?.name === msg.name) as { runNow?: () => Promise<void> } | undefined;
        if (typeof s?.runNow !== 'function') { reply({ error: `no running scheduler named ${msg.name} with runNow()` }); break; }
        // The change hook publishes its change event two setImmediate hops after replying (so the POST
        // returns fast); let those hops run first, so runNow() is queued after every change already posted.
        await new Promise<void>((r) => setImmediate(() => setImmediate(r)));
        await s.runNow();
        reply({ result: true });
        break;
      }
      case 'stop':
        await master.stop({ graceMs: msg.graceMs });
        reply({ result: true });
        process.exit(0);
        break;
      default: reply({ error: `unknown op ${msg.op}` });
    }
  } catch (err) {
    reply({ error: String((err as Error)?.stack ?? err) });
  }
});
// A parent that goes away (test crashed) must not leave this master running.
process.on('disconnect', () => { void master.stop({ graceMs: 0 }).finally(() => process.exit(0)); });
