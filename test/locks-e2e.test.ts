/**
 * Locks with real master and worker processes: builds of two builders on two workers hold a
 * counting master lock for the whole build, an exclusive master lock on one step and a per-worker
 * lock on another. Every build finishes (no deadlock) and the step intervals recorded by the
 * commands themselves never overlap where a lock forbids it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil } from './support/master-harness.js';

test('build and step locks across two workers: exclusive steps never overlap and every build finishes', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    const trace = join(env.root, 'trace.txt');
    const record = (tag: string) => `echo "S ${tag} $W $(date +%s%N)" >> ${trace}; sleep 0.15; echo "E ${tag} $W $(date +%s%N)" >> ${trace}`;
    env.writeConfig({ cpu: record('cpu'), db: record('db') }, (m, v) => {
      const pool = m.locks.master('pool', { maxCount: 3 });
      const db = m.locks.master('db');
      const cpu = m.locks.worker('cpu', { maxCount: 1 });
      const W = { W: m.util.Interpolate('%(prop:workername)s') };
      const mk = (name: string) => m.builder({ name, workerNames: ['w0', 'w1'], collapseRequests: false, locks: [pool.access('counting')], steps: [
        m.steps.shell({ name: 'compile', command: ['sh', '-c', v.cpu], env: W, locks: [cpu.access('counting')] }),
        m.steps.shell({ name: 'migrate', command: ['sh', '-c', v.db], env: W, locks: [db.access('exclusive')] }),
      ] });
      return m.defineConfig({
        db: { url: 'sqlite:state.sqlite' },
        protocols: { msgpack: { port: 0 } },
        www: null,
        workers: [m.worker('w0', 'pass'), m.worker('w1', 'pass')],
        builders: [mk('a'), mk('b')],
      });
    });
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    env.startWorker('w1', master.ready.workerPort);
    for (let i = 0; i < 4; i++) await master.submit(['a', 'b']);
    const builds = await waitUntil(async () => {
      const all = await master.get(['builds']);
      return all.length === 8 && all.every((b) => b.complete) ? all : null;
    }, 'eight builds to finish', 100_000);
    assert.deepEqual(builds.map((b) => b.results), Array(8).fill(0));

    const intervals: Record<string, Array<[bigint, bigint]>> = {};
    for (const line of readFileSync(trace, 'utf8').trim().split('\n')) {
      const [kind, tag, w, ns] = line.split(' ');
      const key = tag === 'db' ? 'db' : `cpu@${w}`;
      if (kind === 'S') (intervals[key] ??= []).push([BigInt(ns), -1n]);
      else { const list = intervals[key]; const iv = list.find((x) => x[1] === -1n); assert.ok(iv, `unmatched end in ${key}`); iv[1] = BigInt(ns); }
    }
    assert.equal(intervals.db.length, 8);
    for (const [key, list] of Object.entries(intervals)) {
      list.sort((x, y) => (x[0] < y[0] ? -1 : 1));
      for (let i = 1; i < list.length; i++) assert.ok(list[i][0] >= list[i - 1][1], `${key}: interval ${i} starts before ${i - 1} ended`);
    }
  } finally {
    await env.cleanup();
  }
});

test('lock holders and waiters are visible through the data API, and a waiting request says which lock it waits for', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    const release = join(env.root, 'release');
    env.writeConfig({ wait: `while [ ! -e ${release} ]; do sleep 0.05; done` }, (m, v) => {
      const deploy = m.locks.master('deploy');
      return m.defineConfig({
        db: { url: 'sqlite:state.sqlite' },
        protocols: { msgpack: { port: 0 } },
        www: null,
        workers: [m.worker('w0', 'pass'), m.worker('w1', 'pass')],
        builders: [m.builder({ name: 'ship', workerNames: ['w0', 'w1'], collapseRequests: false, locks: [deploy.access('exclusive')], steps: [
          m.steps.shell({ command: ['sh', '-c', v.wait] }),
        ] })],
      });
    });
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    env.startWorker('w1', master.ready.workerPort);
    await waitUntil(async () => ((await master.get(['workers'])).filter((w) => w.connected_to.length).length === 2) || null, 'both workers to attach');
    await master.submit(['ship']);
    await master.submit(['ship']);
    const [lock] = await waitUntil(async () => {
      const all = await master.get(['locks']);
      return all.length === 1 && all[0].holders.length === 1 && all[0].waiters.length === 1 ? all : null;
    }, 'one holder and one waiter of the deploy lock');
    assert.equal(lock.lockid, 'master:deploy');
    assert.equal(lock.kind, 'master');
    assert.equal(lock.holders[0].mode, 'exclusive');
    const pending = await waitUntil(async () => {
      const reqs = (await master.get(['buildrequests'])).filter((r) => !r.claimed && !r.complete);
      return reqs.length === 1 && reqs[0].pending_reason ? reqs[0] : null;
    }, 'the second request to be pending with a reason');
    assert.equal(pending.pending_reason.code, 'waiting_for_lock');
    assert.match(JSON.stringify(pending.pending_reason), /deploy/);
    assert.deepEqual((await master.get(['locks', 'master:deploy'])).map((l: any) => l.lockid), ['master:deploy']);

    (await import('node:fs')).writeFileSync(release, '');
    await waitUntil(async () => {
      const all = await master.get(['builds']);
      return all.length === 2 && all.every((b) => b.complete) ? all : null;
    }, 'both builds to finish');
    assert.deepEqual(await master.get(['locks']), [], 'no lock is held or waited for once the builds are done');
  } finally {
    await env.cleanup();
  }
});
