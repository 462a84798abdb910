import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results } from '../src/model/results.js';
import { locks } from '../src/process/locks.js';
import { Botmaster } from '../src/process/botmaster.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, platformWorker, poolConfig, submit, waitFor, workerConfig, type Engine } from './support/process-harness.js';

/** A worker whose commands wait until released, so tests can hold builds "running". */
function gatedWorker(name: string) {
  const gates: Array<() => void> = [];
  const w = new FakeWorker(name, async () => { await new Promise<void>((r) => gates.push(r)); return { rc: 0 }; });
  return { w, gates, releaseAll: () => { for (const g of gates.splice(0)) g(); } };
}

async function reqs(e: Engine) {
  return (await e.data.get(['buildrequests'])).items as any[];
}

test('requests run in priority order, then by submission time', async () => {
  const e = await makeEngine();
  const order: string[] = [];
  const w = new FakeWorker('w0', async ({ args }) => { order.push(String((args.command as string[])[1])); return { rc: 0 }; });
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s', {}, { command: ['echo', { toString() { return ''; } }] })] })], [workerConfig('w0')]);
    const ids: Record<string, number> = {};
    ids.low = (await submit(e, ['b'], { priority: 0, submitted_at: 100 })).b;
    ids.old = (await submit(e, ['b'], { priority: 0, submitted_at: 50 })).b;
    ids.high = (await submit(e, ['b'], { priority: 10, submitted_at: 200 })).b;
    await e.botmaster.start();
    await e.botmaster.workerAttached(w);
    await waitFor(async () => (await buildsOf(e, 'b')).filter((b) => b.complete).length === 3, 'three builds');
    const builds = (await buildsOf(e, 'b')).sort((a, b) => a.number - b.number);
    assert.deepEqual(builds.map((b) => b.buildrequestid), [ids.high, ids.old, ids.low]);
  } finally { await e.close(); }
});

test('maxBuilds limits a worker across builders and a worker runs one build per builder at a time', async () => {
  const e = await makeEngine();
  const g = gatedWorker('w0');
  try {
    await e.botmaster.configure([
      builderConfig({ name: 'a', workerNames: ['w0'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'c', workerNames: ['w0'], steps: [cmdStep('s')] }),
    ], [workerConfig('w0', { maxBuilds: 2 })]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(g.w);
    await submit(e, ['a', 'b', 'c']);
    await submit(e, ['a']);
    await waitFor(() => g.gates.length === 2, 'two running builds');
    await e.botmaster.distributor.settled();
    assert.equal(e.botmaster.runningBuilds().length, 2);
    const pending = (await reqs(e)).filter((r) => !r.claimed);
    assert.equal(pending.length, 2);
    for (const r of pending) assert.equal(r.pending_reason.code, 'all_workers_busy');
    // Release builds one at a time until all four ran; never more than two at once.
    let finished = 0;
    while (finished < 4) {
      await waitFor(() => g.gates.length > 0, 'a running build');
      assert.ok(e.botmaster.runningBuilds().length <= 2);
      g.gates.shift()!();
      finished++;
      await waitFor(async () => (await reqs(e)).filter((r) => r.complete).length === finished, `${finished} complete`);
    }
  } finally { g.releaseAll(); await e.close(); }
});

test('pending reasons say when no worker is connected and when canStartBuild refuses', async () => {
  const e = await makeEngine();
  try {
    let allow = false;
    await e.botmaster.configure([
      builderConfig({ name: 'orphan', workerNames: ['ghost'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'picky', workerNames: ['w0'], steps: [cmdStep('s')], canStartBuild: (_b, w) => allow && w.name === 'w0' }),
    ], [workerConfig('w0'), workerConfig('ghost')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(new FakeWorker('w0'));
    const { orphan, picky } = await submit(e, ['orphan', 'picky']);
    await waitFor(() => e.botmaster.distributor.pendingReason(picky)?.code === 'can_start_build_refused', 'the refusal reason');
    assert.equal(e.botmaster.distributor.pendingReason(orphan)?.code, 'no_worker_connected');
    const api = (await e.data.get(['buildrequests', orphan])) as any;
    assert.equal(api.item.pending_reason.code, 'no_worker_connected');
    allow = true;
    e.botmaster.distributor.wake();
    await waitFor(async () => (await buildsOf(e, 'picky')).some((b) => b.complete), 'picky to build once allowed');
    assert.equal(e.botmaster.distributor.pendingReason(picky), null);
  } finally { await e.close(); }
});

test('nextWorker and nextBuild hooks choose the worker and the request', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([builderConfig({
      name: 'b', workerNames: ['w0', 'w1'], steps: [cmdStep('s')],
      nextWorker: (_b, workers) => workers.find((w) => w.name === 'w1'),
      nextBuild: (_b, requests) => requests[requests.length - 1],
    })], [workerConfig('w0'), workerConfig('w1', { maxBuilds: 1 })]);
    const first = (await submit(e, ['b'], { submitted_at: 1 })).b;
    const second = (await submit(e, ['b'], { submitted_at: 2 })).b;
    await e.botmaster.start();
    await e.botmaster.workerAttached(new FakeWorker('w0'));
    await e.botmaster.workerAttached(new FakeWorker('w1'));
    await waitFor(async () => (await buildsOf(e, 'b')).filter((b) => b.complete).length === 2, 'both builds');
    const builds = (await buildsOf(e, 'b')).sort((a, b) => a.number - b.number);
    assert.deepEqual(builds.map((b) => b.buildrequestid), [second, first]);
    const w1 = await e.data.updates.findWorkerId('w1');
    assert.ok(builds.every((b) => b.workerid === w1));
  } finally { await e.close(); }
});

test('collapseRequests true: a newer request with the same sourcestamps collapses older pending ones (SKIPPED)', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')], collapseRequests: true })], [workerConfig('w0')]);
    await e.botmaster.start();
    const r1 = (await submit(e, ['b'], { revision: 'x' })).b;
    const other = (await submit(e, ['b'], { branch: 'dev', revision: 'x' })).b;
    const patched = (await submit(e, ['b'], { revision: 'x', patch: true })).b;
    const r2 = (await submit(e, ['b'], { revision: 'x' })).b;
    await waitFor(async () => (await reqs(e)).find((r) => r.buildrequestid === r1).complete, 'r1 collapsed');
    const byId = new Map((await reqs(e)).map((r) => [r.buildrequestid, r]));
    assert.equal(byId.get(r1).results, Results.SKIPPED);
    assert.equal(byId.get(other).complete, false, 'another branch does not collapse');
    assert.equal(byId.get(patched).complete, false, 'a patch never collapses');
    assert.equal(byId.get(r2).complete, false);
  } finally { await e.close(); }
});

test('collapseRequests as a function decides which older requests collapse', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')], collapseRequests: (_m, _b, newer, older) => newer.priority === older.priority })], [workerConfig('w0')]);
    await e.botmaster.start();
    const a = (await submit(e, ['b'], { priority: 1 })).b;
    const b = (await submit(e, ['b'], { priority: 2 })).b;
    const c = (await submit(e, ['b'], { priority: 1 })).b;
    await waitFor(async () => (await reqs(e)).find((r) => r.buildrequestid === a).complete, 'a collapsed');
    const byId = new Map((await reqs(e)).map((r) => [r.buildrequestid, r]));
    assert.equal(byId.get(a).results, Results.SKIPPED);
    assert.equal(byId.get(b).complete, false);
    assert.equal(byId.get(c).complete, false);
  } finally { await e.close(); }
});

test('a cancelled request leaves the queue and never builds', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    const { b: brid } = await submit(e, ['b']);
    await waitFor(() => e.botmaster.distributor.pendingReason(brid)?.code === 'no_worker_connected', 'the request to wait');
    await e.data.updates.cancelBuildRequest(brid, 'not needed');
    await waitFor(() => e.botmaster.distributor.pendingReason(brid) === null, 'the request to leave the queue');
    await e.botmaster.workerAttached(new FakeWorker('w0'));
    await e.botmaster.distributor.settled();
    assert.equal((await buildsOf(e, 'b')).length, 0);
    assert.equal(e.botmaster.distributor.pendingCount, 0);
  } finally { await e.close(); }
});

test('build locks on several workers: an exclusive master lock serialises builds and the waiters say why', async () => {
  const e = await makeEngine();
  const deploy = locks.master('deploy');
  const g0 = gatedWorker('w0');
  const g1 = gatedWorker('w1');
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0', 'w1'], steps: [cmdStep('s')], locks: [deploy.access('exclusive')] })], [workerConfig('w0'), workerConfig('w1')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(g0.w);
    await e.botmaster.workerAttached(g1.w);
    const { b: first } = await submit(e, ['b']);
    const { b: second } = await submit(e, ['b']);
    await waitFor(() => g0.gates.length + g1.gates.length === 1, 'one build running');
    await waitFor(() => e.botmaster.distributor.pendingReason(second)?.code === 'waiting_for_lock', 'the lock reason');
    const reason = e.botmaster.distributor.pendingReason(second) as any;
    assert.equal(reason.lock.name, 'deploy');
    assert.match(reason.message, /waiting for master lock 'deploy'/);
    g0.releaseAll(); g1.releaseAll();
    await waitFor(() => g0.gates.length + g1.gates.length === 1, 'the second build running');
    g0.releaseAll(); g1.releaseAll();
    await waitFor(async () => (await reqs(e)).every((r) => r.complete), 'both complete');
    assert.ok(first < second);
  } finally { g0.releaseAll(); g1.releaseAll(); await e.close(); }
});

test('10,000 pending requests are loaded with one query before the first dispatch (its speed is measured by the bench, scenario 6)', async () => {
  const e = await makeEngine();
  try {
    const builderid = await e.data.updates.findBuilderId('b');
    // Submit through the data layer in buildsets of 100 builders' worth... one request per buildset, as schedulers do.
    await e.db.kysely.transaction().execute(async () => {});
    for (let i = 0; i < 10_000; i++) {
      await e.data.updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [{ codebase: '', repository: 'r', branch: 'main', revision: String(i), project: '' }] });
    }
    let queries = 0;
    const reads = e.data;
    const orig = reads.getPendingBuildRequests.bind(reads);
    reads.getPendingBuildRequests = async () => { queries++; return orig(); };
    const bm = new Botmaster({ services: e.services });
    await bm.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0')]);
    await bm.start();
    await bm.workerAttached(new FakeWorker('w0'));
    await waitFor(() => bm.runningBuilds().length > 0 || bm.distributor.pendingCount < 10_000, 'the first dispatch');
    assert.equal(queries, 1);
    await bm.shutdown({ graceMs: 0, reportTimeoutMs: 2000 });
  } finally { await e.close(); }
});

test('a builder with workerTags runs only on workers that have every tag: pool workers by their own and their pool\'s tags, named workers by theirs', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([
      builderConfig({ name: 'docker', workerTags: ['os=linux', 'docker'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'named-linux', workerNames: ['w0', 'w1'], workerTags: ['os=linux'], steps: [cmdStep('s')] }),
    ], [workerConfig('w0'), workerConfig('w1')], [poolConfig('ci', { tags: ['docker'] })]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(platformWorker('w0', { os: 'linux' }));
    await e.botmaster.workerAttached(platformWorker('w1', { os: 'darwin', tags: ['docker'] }));
    await e.botmaster.workerAttached(platformWorker('ci/p1', { os: 'linux' }));
    const ids = await submit(e, ['docker', 'named-linux']);
    await waitFor(async () => (await reqs(e)).every((r) => r.complete), 'both builds');
    const builds = (await e.data.get(['builds'])).items as any[];
    const workerOf = async (brid: number) => {
      const b = builds.find((x) => x.buildrequestid === brid);
      return ((await e.data.get(['workers', b.workerid])).item as any).name;
    };
    assert.equal(await workerOf(ids.docker!), 'ci/p1', 'docker comes from the pool; os=linux from the worker');
    assert.equal(await workerOf(ids['named-linux']!), 'w0', 'listed and tagged: w1 is listed but darwin, ci/p1 is linux but not listed');
    const p1 = (await e.data.get(['workers', 'ci/p1'])).item as any;
    assert.deepEqual(p1.tags, ['os=linux', 'arch=x64', 'docker']);
    assert.equal(p1.pool, 'ci');
    assert.deepEqual(p1.configured_on.map((c: any) => c.builderid), [builds.find((x) => x.buildrequestid === ids.docker)!.builderid]);
  } finally { await e.close(); }
});

test('the pending reason of a tag-selected builder names the tags no connected worker has, or says none has all of them', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([
      builderConfig({ name: 'win', workerTags: ['os=windows', 'gpu'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'split', workerTags: ['os=linux', 'gpu'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'listed', workerNames: ['w0'], workerTags: ['gpu'], steps: [cmdStep('s')] }),
    ], [workerConfig('w0')], [poolConfig('ci')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(platformWorker('w0', { os: 'linux' }));
    await e.botmaster.workerAttached(platformWorker('ci/p1', { os: 'darwin', tags: ['gpu'] }));
    const ids = await submit(e, ['win', 'split', 'listed']);
    await waitFor(() => e.botmaster.distributor.pendingReason(ids.listed!)?.code === 'no_worker_with_tags', 'the reasons');
    await e.botmaster.distributor.settled();
    const reason = (brid: number) => e.botmaster.distributor.pendingReason(brid)!;
    assert.equal(reason(ids.win!).message, 'no worker with os=windows attached');
    assert.deepEqual(reason(ids.win!).missingTags, ['os=windows']);
    assert.equal(reason(ids.split!).message, 'no attached worker has all of os=linux, gpu; each tag is on some worker, but not all on one');
    assert.equal(reason(ids.listed!).message, "no worker with gpu attached among the workers of builder 'listed' (w0)");
    // The reason follows the workers: a Linux GPU worker joins and the builder runs.
    await e.botmaster.workerAttached(platformWorker('ci/p2', { os: 'linux', tags: ['gpu'] }));
    await waitFor(async () => (await reqs(e)).find((r) => r.buildrequestid === ids.split)?.complete === true, 'split to run on ci/p2');
  } finally { await e.close(); }
});

test('each worker of a pool gets the pool\'s maxBuilds and properties, and a reconfig of the pool\'s tags re-selects its connected workers', async () => {
  const e = await makeEngine();
  const gates: Array<() => void> = [];
  const gated = async () => { await new Promise<void>((r) => gates.push(r)); return { rc: 0 }; };
  try {
    const builders = ['a', 'b', 'c'].map((name) => builderConfig({ name, workerTags: ['docker'], steps: [cmdStep('s')] }));
    await e.botmaster.configure(builders, [], [poolConfig('ci', { tags: ['docker'], maxBuilds: 2, properties: { from: 'pool' } })]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(platformWorker('ci/p1', { os: 'linux' }, gated));
    const ids = await submit(e, ['a', 'b', 'c']);
    await waitFor(() => gates.length === 2, 'two builds on the pool worker');
    await e.botmaster.distributor.settled();
    assert.equal(e.botmaster.runningBuilds().length, 2, 'maxBuilds 2');
    assert.equal(e.botmaster.runningBuilds()[0]!.properties.getProperty('from'), 'pool');
    // The pool loses its docker tag: its worker no longer fits the waiting request.
    await e.botmaster.configure(builders, [], [poolConfig('ci', { tags: [], maxBuilds: 2 })]);
    for (const g of gates.splice(0)) g();
    const waiting = Object.values(ids).find((id) => e.botmaster.distributor.pendingReason(id) !== null)!;
    await waitFor(() => e.botmaster.distributor.pendingReason(waiting)?.code === 'no_worker_with_tags', 'the untagged pool worker to be passed over');
    assert.equal(e.botmaster.distributor.pendingReason(waiting)!.message, 'no worker with docker attached');
  } finally { for (const g of gates.splice(0)) g(); await e.close(); }
});

test('a builder selecting by tags looks only at workers with its rarest tag, not at every connected worker', async () => {
  const e = await makeEngine();
  try {
    await e.botmaster.configure([builderConfig({ name: 'win', workerTags: ['os=windows'], steps: [cmdStep('s')] })], [], [poolConfig('ci')]);
    await e.botmaster.start();
    // Every look at a worker during dispatch reads its connection state: count them on the Linux ones.
    let linuxLooks = 0;
    for (let i = 0; i < 300; i++) {
      const w = platformWorker(`ci/linux${i}`, { os: 'linux' });
      Object.defineProperty(w, 'connected', { get: () => { linuxLooks++; return true; } });
      await e.botmaster.workerAttached(w);
    }
    await e.botmaster.workerAttached(platformWorker('ci/win', { os: 'windows' }));
    linuxLooks = 0;
    for (let i = 0; i < 10; i++) await submit(e, ['win']);
    await waitFor(async () => (await reqs(e)).filter((r) => r.complete).length === 10, 'ten builds on the Windows worker');
    assert.equal(linuxLooks, 0, 'the 300 Linux workers were never looked at');
  } finally { await e.close(); }
});

test('with a thousand idle workers on one builder a build looks at a few of them, and takes the first by name', async () => {
  const e = await makeEngine();
  try {
    const names = Array.from({ length: 1000 }, (_, i) => `w${String(999 - i).padStart(3, '0')}`); // config order is not name order
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: names, steps: [cmdStep('s')] })], names.map((n) => workerConfig(n)));
    await e.botmaster.start();
    for (const n of names) await e.botmaster.workerAttached(new FakeWorker(n));
    await e.botmaster.distributor.settled();
    const deps = (e.botmaster.distributor as any).deps;
    const lookup = deps.worker;
    let lookups = 0;
    deps.worker = (name: string) => { lookups++; return lookup(name); };
    for (let i = 0; i < 5; i++) {
      await submit(e, ['b'], { revision: `r${i}` });
      await waitFor(async () => (await buildsOf(e, 'b')).filter((x: any) => x.complete).length === i + 1, `build ${i + 1}`);
      // The build's row says complete a moment before the builder lets its worker go: the next build
      // must find w000 idle, so wait for that too (Node 24 schedules the release later than Node 20).
      await waitFor(() => e.botmaster.runningBuilds().length === 0, `build ${i + 1} to release its worker`);
    }
    assert.ok(lookups < 200, `5 builds looked up ${lookups} workers (1000 configured)`);
    const ran = (await buildsOf(e, 'b')).map((x: any) => x.workerid);
    const byId = new Map(((await e.data.get(['workers'])).items as any[]).map((w) => [w.workerid, w.name]));
    assert.deepEqual(ran.map((id: number) => byId.get(id)), ['w000', 'w000', 'w000', 'w000', 'w000'], 'each build took the idle worker first by name');
  } finally { await e.close(); }
});

test('each pass tells the latent workers how many requests of a builder they serve are still waiting (no more than they could take), and their reason replaces the builder\'s', async () => {
  const e = await makeEngine();
  const asked: Array<[string, number]> = [];
  let passes = 0;
  let done = 0;
  const latent = {
    passStarted: () => { passes++; },
    serves: (b: { name: string }) => (b.name === 'lat' ? 3 : 0),
    demand: (b: { name: string }, waiting: number) => { asked.push([b.name, waiting]); return { code: 'latent_worker_starting', message: `starting for ${b.name}` }; },
    passDone: () => { done++; },
  };
  const botmaster = new Botmaster({ services: e.services, latent: latent as never });
  try {
    await botmaster.configure([
      builderConfig({ name: 'lat', workerNames: ['l1'], steps: [cmdStep('s')] }),
      builderConfig({ name: 'plain', workerNames: ['w0'], steps: [cmdStep('s')] }),
    ], [workerConfig('l1'), workerConfig('w0')]);
    await botmaster.start();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(e, ['lat'])).lat);
    const { plain } = await submit(e, ['plain']);
    await waitFor(() => botmaster.distributor.pendingReason(ids[4]!)?.code === 'latent_worker_starting', 'the latent reason');
    await botmaster.distributor.settled();
    assert.deepEqual(botmaster.distributor.pendingReason(ids[0]!), { code: 'latent_worker_starting', message: 'starting for lat' });
    assert.equal(botmaster.distributor.pendingReason(plain)?.code, 'no_worker_connected', 'a builder no latent worker serves keeps its own reason');
    assert.ok(asked.every(([name]) => name === 'lat'));
    assert.deepEqual(asked.at(-1), ['lat', 3], 'five wait, three are counted: the latent workers could take no more');
    assert.ok(passes >= 1);
    assert.equal(done, passes, 'every pass that began ended');
  } finally { await botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 2000 }); await e.close(); }
});
