/**
 * The latent manager (workers/latent/manager.ts) on its own, with an in-memory provider that records
 * what it is asked and lets each test say when an instance's worker "attaches": how waiting requests
 * turn into starts (once each, within a pool's max), which builders latent workers fit, the pending
 * reasons, failure backoff with the health probe, idle stops with a pool's warm minimum, and
 * reconciliation at master start. End-to-end runs with real processes and containers are in the
 * top-level test/latent-*-e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatentManager, type DemandBuilder, type LatentPoolSettings, type LatentSlot, type LatentWorkerSettings } from '../src/workers/latent/manager.js';
import { LatentStartError, type InstanceRequest, type LatentInstance, type LatentProvider, type ListedInstance, type ProviderHealth } from '../src/workers/latent/provider.js';
import type { RemoteWorker } from '../src/workers/types.js';

class MemoryProvider implements LatentProvider {
  readonly kind = 'memory';
  readonly platform = { os: 'linux', arch: null };
  readonly started: InstanceRequest[] = [];
  readonly stopped: string[] = [];
  listed: ListedInstance[] = [];
  fail: string | null = null;
  healthy = true;
  healthChecks = 0;
  private readonly waiters = new Set<() => void>();

  async startInstance(req: InstanceRequest): Promise<LatentInstance> {
    this.started.push(req);
    this.changed();
    if (this.fail) throw new LatentStartError(req.workerName, this.fail);
    return { id: `i-${req.workerName}-${this.started.length}` };
  }
  async stopInstance(instance: LatentInstance): Promise<void> { this.stopped.push(instance.id); this.changed(); }
  async listInstances(): Promise<ListedInstance[]> { return this.listed; }
  async health(): Promise<ProviderHealth> {
    this.healthChecks++;
    this.changed();
    return { ok: this.healthy, message: this.healthy ? 'fine' : 'the engine is down' };
  }
  /** Resolves once `pred` holds (checked whenever the provider is called). */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => { if (pred()) { this.waiters.delete(check); resolve(); } };
      this.waiters.add(check);
    });
  }
  changed(): void { for (const w of [...this.waiters]) w(); }
}

const common = { idleTimeout: null, startTimeout: 60, tags: [] as string[], maxBuilds: null, properties: {}, failureBackoff: { initial: 10, max: 3600 } };
const named = (name: string, o: Partial<LatentWorkerSettings> = {}): LatentWorkerSettings => ({ ...common, name, password: `${name}-pw`, provider: { kind: 'memory' }, ...o });
const pool = (name: string, o: Partial<LatentPoolSettings> = {}): LatentPoolSettings => ({ ...common, name, provider: { kind: 'memory' }, min: 0, max: 3, ...o });
const builder = (name: string, workerNames: string[], workerTags: string[] = []): DemandBuilder => ({ name, config: { workerNames, workerTags, properties: { from: name } } });
const remote = (name: string): RemoteWorker & { connected: boolean } => ({ name, connected: true } as unknown as RemoteWorker & { connected: boolean });

function setup(t: { after(fn: () => void): void }) {
  // The manager's timers are unref'd (they must not keep a stopping master alive); this test's process must wait for them.
  const alive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(alive));
  const provider = new MemoryProvider();
  const slots = new Map<string, LatentSlot & { running: number }>();
  const disconnected: Array<[string, string]> = [];
  let wakes = 0;
  let onWake: (() => void) | null = null;
  const manager = new LatentManager({
    masterName: 'test-master', masterDir: '/nonexistent', log: { info() {}, warn() {}, error() {} },
    masterAddress: () => ({ host: 'ci.example.org', port: 9989 }),
    passwordFor: (name) => `derived-${name}`,
    slot: (name) => slots.get(name),
    disconnect: (r, reason) => { disconnected.push([r.name, reason]); },
    wake: () => { wakes++; onWake?.(); },
    kinds: { memory: { options: {}, create: () => provider } },
  });
  /** The worker of a started instance attaches, and the botmaster gives it a slot. */
  const attach = async (name: string, running = 0) => {
    assert.equal(await manager.attached(remote(name)), true, `${name} attaches`);
    slots.set(name, { running, paused: false });
  };
  const nextWake = () => new Promise<void>((resolve) => { onWake = () => { onWake = null; resolve(); }; });
  const pass = (b: DemandBuilder, waiting: number) => { manager.passStarted(); const r = manager.demand(b, waiting); manager.passDone(); return r; };
  return { provider, slots, disconnected, manager, attach, nextWake, pass, get wakes() { return wakes; } };
}

test('waiting requests start one latent pool instance each, up to max, and those starting are not started again', async (t) => {
  const { provider, manager, attach, pass } = setup(t);
  manager.configure([], [pool('dock', { max: 3, tags: ['docker'] })]);
  const b = builder('b', [], ['docker']);
  const first = pass(b, 5);
  assert.equal(first?.code, 'latent_worker_starting');
  assert.deepEqual(first?.workerNames, ['dock/1', 'dock/2', 'dock/3']);
  assert.match(String(first?.message), /^waiting for latent workers dock\/1, dock\/2, dock\/3 to start for builder 'b'$/);
  await provider.until(() => provider.started.length === 3);
  assert.deepEqual(provider.started.map((r) => [r.workerName, r.password, r.master.host, r.build?.builderName]), [
    ['dock/1', 'derived-dock/1', 'ci.example.org', 'b'], ['dock/2', 'derived-dock/2', 'ci.example.org', 'b'], ['dock/3', 'derived-dock/3', 'ci.example.org', 'b'],
  ]);
  // The next pass counts the three starting against the same requests: nothing more is started.
  assert.equal(pass(b, 5)?.code, 'latent_worker_starting');
  for (const n of ['dock/1', 'dock/2', 'dock/3']) await attach(n, 1);
  const full = pass(b, 2);
  assert.equal(full?.code, 'latent_pool_full');
  assert.equal(full?.message, 'all 3 instances of latent pool dock are running builds (max 3)');
  assert.equal(provider.started.length, 3);
  assert.equal(manager.view('dock/2')?.state, 'substantiated');
  assert.equal(manager.view('dock/2')?.pool, 'dock');
});

test('a builder fits a latent worker by its name, or by tags its provider\'s platform and its own tags give', (t) => {
  const { manager } = setup(t);
  manager.configure([named('n1', { tags: ['gpu=a100'] })], [pool('dock', { max: 2, tags: ['docker'] })]);
  assert.equal(manager.serves(builder('named', ['n1'])), 1);
  assert.equal(manager.serves(builder('named-and-tagged', ['n1'], ['gpu=a100'])), 1);
  assert.equal(manager.serves(builder('tags only', [], ['os=linux', 'gpu=a100'])), 1, 'os=linux comes from the provider');
  assert.equal(manager.serves(builder('pool', [], ['docker'])), 2);
  assert.equal(manager.serves(builder('both', [], ['os=linux'])), 3);
  assert.equal(manager.serves(builder('none', [], ['os=windows'])), 0);
  assert.equal(manager.serves(builder('other names', ['w0'])), 0);
  assert.deepEqual(manager.credentials().map((c) => [c.name, c.password]), [['n1', 'n1-pw'], ['dock/1', 'derived-dock/1'], ['dock/2', 'derived-dock/2']]);
  assert.equal(manager.isLatent('dock/2'), true);
  assert.equal(manager.isLatent('w0'), false);
});

test('a start that fails pauses the provider; after the pause its health is probed first, and the pending reason says why meanwhile', async (t) => {
  const h = setup(t);
  const { provider, manager } = h;
  manager.configure([named('n1', { failureBackoff: { initial: 0.05, max: 0.1 } })], []);
  const b = builder('b', ['n1']);
  provider.fail = 'quota exceeded in zone z1';
  let woke = h.nextWake();
  h.pass(b, 1);
  await woke; // the failure
  const paused = h.pass(b, 1);
  assert.equal(paused?.code, 'latent_provider_paused');
  assert.match(String(paused?.message), /^latent worker n1 could not be started: quota exceeded in zone z1 \(1 failure in a row; trying again in 1 s\)$/);
  assert.equal(provider.started.length, 1, 'nothing starts while paused');
  assert.equal(manager.view('n1')?.failures, 1);
  // When the pause ends, an unhealthy provider counts as another failure without a start.
  provider.healthy = false;
  woke = h.nextWake();
  await woke;
  assert.equal(provider.healthChecks, 1);
  assert.equal(provider.started.length, 1);
  assert.match(String(h.pass(b, 1)?.message), /could not be started: the engine is down \(2 failures in a row; trying again in 1 s\)/);
  provider.healthy = true;
  provider.fail = null;
  woke = h.nextWake();
  await woke; // probed healthy: the distributor is woken to try again
  assert.equal(h.pass(b, 1)?.code, 'latent_worker_starting');
  await provider.until(() => provider.started.length === 2);
  await h.attach('n1');
  assert.equal(manager.view('n1')?.failures, 0, 'an attached worker resets the backoff');
  assert.equal(manager.view('n1')?.lastError, null);
});

test('an idle latent worker is stopped after idleTimeout, one running a build is not, and a pool keeps its min running', async (t) => {
  const { provider, manager, slots, attach, pass } = setup(t);
  manager.configure([named('n1', { idleTimeout: 0.05 })], [pool('warm', { min: 1, max: 2, idleTimeout: 0.05, tags: ['warm'] })]);
  // The pool's min is started without any request.
  manager.passDone();
  await provider.until(() => provider.started.length === 1);
  assert.deepEqual(provider.started.map((r) => [r.workerName, r.build]), [['warm/1', null]]);
  await attach('warm/1');
  // A request for the pool beyond the warm one starts a second instance; once it is idle too, it goes and warm/1 stays.
  pass(builder('w', [], ['warm']), 1);
  await provider.until(() => provider.started.length === 2);
  await attach('warm/2');
  pass(builder('n', ['n1']), 1);
  await provider.until(() => provider.started.length === 3);
  await attach('n1', 1);
  manager.passDone();
  await provider.until(() => provider.stopped.length === 1);
  assert.deepEqual(provider.stopped, ['i-warm/2-2']);
  assert.equal(slots.get('warm/2')?.paused, true, 'its slot is paused before it is stopped, so no build is claimed on it');
  assert.equal(manager.view('warm/1')?.state, 'substantiated');
  assert.equal(manager.view('n1')?.state, 'substantiated', 'n1 runs a build');
  slots.get('n1')!.running = 0;
  manager.passDone();
  await provider.until(() => provider.stopped.length === 2);
  assert.deepEqual(provider.stopped, ['i-warm/2-2', 'i-n1-3']);
  assert.equal(manager.view('warm/1')?.state, 'substantiated', 'the warm instance stays');
});

test('reconciliation adopts the listed instances of configured latent workers and stops the others; a worker nobody started is disconnected', async (t) => {
  const { provider, manager, disconnected } = setup(t);
  manager.configure([named('n1'), named('n2')], [pool('dock', { max: 1 })]);
  provider.listed = [{ id: 'old-n1', workerName: 'n1' }, { id: 'old-removed', workerName: 'removed' }, { id: 'old-dock-7', workerName: 'dock/7' }];
  await manager.reconcile();
  assert.deepEqual(provider.stopped.sort(), ['old-dock-7', 'old-removed']);
  assert.equal(provider.started.length, 0);
  assert.deepEqual([manager.view('n1')?.state, manager.view('n1')?.instance], ['substantiating', 'old-n1']);
  assert.equal(await manager.attached(remote('n1')), true, 'its worker reconnects and is used');
  assert.equal(manager.view('n1')?.state, 'substantiated');
  assert.equal(await manager.attached(remote('n2')), false);
  assert.deepEqual(disconnected, [['n2', 'latent worker n2 was not started by this master (or is being stopped); it is started when a build needs it']]);
});

test('a reconfig that shrinks a pool stops the instances beyond its new max once they are idle', async (t) => {
  const { provider, manager, slots, attach, pass, nextWake } = setup(t);
  manager.configure([], [pool('dock', { max: 2, tags: ['d'] })]);
  pass(builder('b', [], ['d']), 2);
  await provider.until(() => provider.started.length === 2);
  await attach('dock/1', 1);
  await attach('dock/2', 1);
  manager.configure([], [pool('dock', { max: 1, tags: ['d'] })]);
  assert.deepEqual(manager.credentials().map((c) => c.name), ['dock/1', 'dock/2'], 'dock/2 keeps its login while it runs its build');
  slots.get('dock/2')!.running = 0;
  const stopped = nextWake();
  manager.passDone();
  await stopped;
  assert.deepEqual(provider.stopped, ['i-dock/2-2']);
  assert.deepEqual(manager.credentials().map((c) => c.name), ['dock/1']);
  assert.equal(manager.isLatent('dock/2'), false);
});

test('shutdown stops every instance and nothing starts afterwards', async (t) => {
  const { provider, manager, attach, pass } = setup(t);
  manager.configure([named('n1')], []);
  pass(builder('b', ['n1']), 1);
  await provider.until(() => provider.started.length === 1);
  await attach('n1', 1);
  await manager.shutdown();
  assert.deepEqual(provider.stopped, ['i-n1-1']);
  assert.equal(pass(builder('b', ['n1']), 1), null);
  assert.equal(provider.started.length, 1);
});
