// The botmaster's (re)configuration (src/process/botmaster.ts) against a real SQLite data layer:
// builders are registered with their database work in flight together, not one after the other
// (200 builders in a row took 1.8 s of a master's start on PostgreSQL), and in config order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Botmaster } from '../src/process/botmaster.js';
import { builderConfig, cmdStep, makeEngine, workerConfig } from './support/process-harness.js';

/** Makes `method` of `obj` wait until `n` calls are in flight at once; rejects if they never are. */
function barrier(obj: any, method: string, n: number): { reached: Promise<void> } {
  const orig = obj[method].bind(obj);
  let inFlight = 0;
  let open!: () => void;
  const reached = new Promise<void>((r) => { open = r; });
  const timeout = setTimeout(() => open(), 5000);
  let peak = 0;
  obj[method] = async (...args: unknown[]) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    if (peak >= n) { clearTimeout(timeout); open(); }
    await reached;
    try { return await orig(...args); } finally { inFlight--; }
  };
  return { reached: reached.then(() => assert.ok(peak >= n, `only ${peak} of ${n} calls of ${method} were in flight together`)) };
}

test('the builders of a config are looked up and described all at once, and kept in config order', async () => {
  const e = await makeEngine();
  try {
    const names = ['zeta', 'alpha', 'mid'];
    const ids = barrier(e.data.updates, 'findBuilderId', names.length);
    const infos = barrier(e.data.updates, 'updateBuilderInfo', names.length);
    const bm = new Botmaster({ services: e.services });
    await bm.configure(names.map((name) => builderConfig({ name, workerNames: ['w0'], steps: [cmdStep('s')] })), [workerConfig('w0')]);
    await ids.reached;
    await infos.reached;
    assert.deepEqual(bm.builderListFor('w0').map((b) => b.name), names);
    for (const name of names) assert.equal(typeof (await e.data.updates.findBuilderId(name)), 'number');
  } finally { await e.close(); }
});
