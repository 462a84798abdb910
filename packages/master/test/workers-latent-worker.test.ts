/**
 * Latent workers (workers/latent/): a LatentWorker substantiates through its provider and is
 * substantiated once the instance's worker attaches to the master's real worker server; a start
 * that fails or a worker that never attaches fails the substantiation and leaves nothing running.
 * The provider here starts a real mastro-worker process, as `latent.local` will.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LatentWorker, SubstantiationCancelled } from '../src/workers/latent/latent-worker.js';
import { LatentStartError, type InstanceRequest, type LatentInstance, type LatentProvider } from '../src/workers/latent/provider.js';
import { createLatentProvider, LATENT_PROVIDER_KINDS, LatentConfigError } from '../src/workers/latent/registry.js';
import { startHarness, type Harness } from './support/workers-harness.js';
import { WORKER_CLI, waitUntil } from '../../../test/support/master-harness.js';

interface ProcessInstance extends LatentInstance { proc: ChildProcess; exited: Promise<unknown> }

/** Starts a mastro-worker process per instance; `password` overrides the one asked for (a worker that cannot log in). */
class ProcessProvider implements LatentProvider {
  readonly kind = 'process';
  readonly requests: InstanceRequest[] = [];
  readonly stopped: string[] = [];
  private n = 0;
  constructor(private readonly root: string, private readonly opts: { password?: string; failStart?: string } = {}) {}

  async startInstance(req: InstanceRequest): Promise<ProcessInstance> {
    this.requests.push(req);
    if (this.opts.failStart) throw new LatentStartError(req.workerName, this.opts.failStart);
    const dir = join(this.root, `${req.workerName}-${++this.n}`);
    execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `${req.master.host}:${req.master.port}`, req.workerName, this.opts.password ?? req.password]);
    const proc = spawn(process.execPath, [WORKER_CLI, 'start', dir, '--foreground'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    return { id: String(proc.pid), proc, exited };
  }

  async stopInstance(instance: LatentInstance): Promise<void> {
    const { proc, exited } = instance as ProcessInstance;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    this.stopped.push(instance.id);
  }
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
  const root = mkdtempSync(join(tmpdir(), 'mastro-latent-'));
  const h: Harness = await startHarness({ workers: [{ name: 'lw', password: 'secret' }] });
  t.after(async () => { await h.close(); rmSync(root, { recursive: true, force: true }); });
  const latent = (provider: LatentProvider, missingTimeoutMs?: number) => {
    const w = new LatentWorker(provider, { workerName: 'lw', password: 'secret', master: { host: '127.0.0.1', port: h.port }, missingTimeoutMs });
    // What the worker manager integration will do: tell the latent worker about its connection.
    h.manager.on('attached', (c) => { if (c.name === 'lw') w.attached(); });
    return w;
  };
  return { root, h, latent };
}

test('substantiate starts one instance, resolves when its worker attaches, and insubstantiate stops it', async (t) => {
  const { root, h, latent } = await setup(t);
  const provider = new ProcessProvider(root);
  const w = latent(provider);
  const attached = h.nextAttached('lw');
  // Two builds asking at once share the one instance.
  await Promise.all([w.substantiate({ builderName: 'b', properties: {} }), w.substantiate(null)]);
  await attached;
  assert.equal(w.state, 'substantiated');
  assert.equal(provider.requests.length, 1);
  assert.deepEqual({ ...provider.requests[0]!, signal: undefined }, { workerName: 'lw', password: 'secret', master: { host: '127.0.0.1', port: h.port }, build: { builderName: 'b', properties: {} }, signal: undefined });
  await w.substantiate();
  assert.equal(provider.requests.length, 1, 'a substantiated worker starts nothing more');
  const detached = h.nextDetached('lw');
  await w.insubstantiate();
  await detached;
  assert.equal(w.state, 'idle');
  assert.equal(provider.stopped.length, 1);
});

test('a worker that never attaches fails the substantiation after the start timeout (missingTimeout), and its instance is stopped', async (t) => {
  const { root, latent } = await setup(t);
  const provider = new ProcessProvider(root, { password: 'not-the-password' });
  const w = latent(provider, 1500);
  await assert.rejects(w.substantiate(), (e: Error) => e instanceof LatentStartError && /its worker did not attach within 1\.5 s \(startTimeout\); check that the instance can reach 127\.0\.0\.1:\d+/.test(e.message));
  // The provider's stop has no event of its own to wait for; waitUntil polls for it.
  await waitUntil(() => provider.stopped.length === 1, 'the instance to be stopped');
  assert.equal(w.state, 'idle');
});

test('a provider that cannot start says why, and nothing is left to stop', async (t) => {
  const { root, latent } = await setup(t);
  const provider = new ProcessProvider(root, { failStart: 'image ci:latest not found' });
  const w = latent(provider);
  await assert.rejects(w.substantiate(), /latent worker lw could not be started: image ci:latest not found/);
  await w.insubstantiate();
  assert.deepEqual(provider.stopped, []);
  assert.equal(w.state, 'idle');
});

test('insubstantiate during a substantiation cancels it; after shutdown nothing substantiates', async (t) => {
  const { root, latent } = await setup(t);
  const provider = new ProcessProvider(root, { password: 'not-the-password' });
  const w = latent(provider);
  const pending = w.substantiate();
  await w.insubstantiate();
  await assert.rejects(pending, (e: Error) => e instanceof SubstantiationCancelled);
  await waitUntil(() => provider.stopped.length === provider.requests.length, 'the started instance to be stopped');
  await w.shutdown();
  await assert.rejects(w.substantiate(), /the master is stopping/);
});

test('a provider kind the registry does not have is refused with the kinds that exist', () => {
  assert.deepEqual(Object.keys(LATENT_PROVIDER_KINDS).sort(), ['command', 'docker', 'local']);
  assert.throws(() => createLatentProvider({ kind: 'ec2' }), (e: Error) => e instanceof LatentConfigError && /unknown latent worker provider "ec2"; providers are: docker, local, command/.test(e.message));
  const kinds = { process: { options: {}, create: () => new ProcessProvider('/nonexistent') } };
  assert.equal(createLatentProvider({ kind: 'process' }, kinds).kind, 'process');
  assert.throws(() => createLatentProvider({ kind: 'ec2' }, kinds), /providers are: process/);
  assert.throws(() => createLatentProvider({ kind: 'ec2' }, {}), /this mastro has no latent worker providers yet/);
});

test('adopt takes over an instance left running: its worker attaching substantiates, without a second start', async (t) => {
  const { root, h, latent } = await setup(t);
  const provider = new ProcessProvider(root);
  // An instance started "by an earlier run of the master": the provider made it, this LatentWorker did not.
  const left = await provider.startInstance({ workerName: 'lw', password: 'secret', master: { host: '127.0.0.1', port: h.port }, build: null, signal: new AbortController().signal });
  const w = latent(provider);
  const attached = h.nextAttached('lw');
  const { adopted, attached: substantiated } = w.adopt(left);
  assert.equal(adopted, true);
  assert.equal(w.state, 'substantiating');
  assert.equal(w.instanceId, left.id);
  await attached;
  await substantiated;
  assert.equal(w.state, 'substantiated');
  assert.equal(provider.requests.length, 1, 'nothing more was started');
  assert.equal(w.adopt(left).adopted, false, 'a worker with an instance adopts no other');
  await w.insubstantiate();
  assert.deepEqual(provider.stopped, [left.id]);
});

test('an adopted instance whose worker never attaches is stopped after the start timeout', async (t) => {
  const { root, h, latent } = await setup(t);
  const provider = new ProcessProvider(root, { password: 'not-the-password' });
  const left = await provider.startInstance({ workerName: 'lw', password: 'secret', master: { host: '127.0.0.1', port: h.port }, build: null, signal: new AbortController().signal });
  const w = latent(provider, 1500);
  await assert.rejects(w.adopt(left).attached, /its worker did not attach within 1\.5 s \(startTimeout\)/);
  await waitUntil(() => provider.stopped.length === 1, 'the adopted instance to be stopped');
  assert.equal(w.state, 'idle');
});
