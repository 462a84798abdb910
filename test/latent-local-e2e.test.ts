/**
 * latent.local end to end (issue 13): a real master process starts a real `mastro-worker` process
 * when a build waits for its latent worker, the build runs on it, and the process is stopped after
 * idleTimeout; a latent pool of local workers runs its requests a few at a time and stops them all;
 * a master killed with SIGKILL while a latent worker runs finds it at its next start (it is reused,
 * then stopped when idle), so no process is left behind.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from 'mastro-protocol/process-identity';
import { TestEnv, WORKER_CLI, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';

function config(o: { markDir: string; releaseFile: string; idleTimeout: number; port: number }): string {
  const gate = `touch ${o.markDir}/started-$BUILD; while [ ! -f ${o.releaseFile} ]; do sleep 0.05; done`;
  return `import { defineConfig, latent, latentPool, builder, steps, util } from 'mastro';
export default defineConfig({
  title: 'latent local',
  db: { url: 'sqlite:state.sqlite' },
  // A fixed port: the processes a killed master leaves reconnect to it when it starts again.
  protocols: { msgpack: { port: ${o.port}, host: '127.0.0.1' } },
  www: null,
  workers: [
    latent({ name: 'lw', provider: latent.local({}), idleTimeout: ${o.idleTimeout}, tags: ['local-latent'] }),
    latentPool({ name: 'lp', provider: latent.local({ stopTimeout: 5 }), max: 2, idleTimeout: 0, tags: ['pooled'] }),
  ],
  builders: [
    builder({ name: 'one', workerNames: ['lw'], collapseRequests: false, steps: [
      steps.shell({ name: 'hello', command: 'echo "built on $WORKERNAME"', env: { WORKERNAME: util.Interpolate('%(prop:workername)s') } }),
    ] }),
    builder({ name: 'gated', workerTags: ['pooled'], collapseRequests: false, steps: [
      steps.shell({ name: 'gate', command: ['sh', '-c', ${JSON.stringify(gate)}], env: { BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
    ] }),
  ],
});
`;
}

/** The pids of this master's local latent instances still running, from their notes. */
function livePids(masterDir: string): number[] {
  const dir = join(masterDir, 'latent-instances', 'local');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const note = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { id: string };
    return processStartTime(Number(note.id)) !== undefined ? [Number(note.id)] : [];
  });
}

describe('latent.local: worker processes the master starts and stops', { timeout: 300_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  const markDir = () => join(env.root, 'marks');
  const releaseFile = () => join(env.root, 'release');

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    mkdirSync(markDir());
    env.writeConfig(config({ markDir: markDir(), releaseFile: releaseFile(), idleTimeout: 0, port: await freePort() }));
    master = await env.startMaster();
  });

  after(async () => {
    await env.cleanup();
  });

  const worker = async (name: string) => (await master.get(['workers', name]))[0];

  it('a forced build starts the latent worker, ends SUCCESS on it, and its process is gone after idleTimeout', async () => {
    const before = await worker('lw');
    assert.equal(before.latent.state, 'idle');
    assert.equal(before.latent.provider, 'local');
    assert.equal(before.connected_to.length, 0);
    await master.submit(['one']);
    const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.complete), 'the build to finish', 120_000);
    assert.equal(build.results, 0);
    const [step] = (await master.get(['builds', build.buildid, 'steps'])).filter((s) => s.name === 'hello');
    const logs = await master.get(['steps', step.stepid, 'logs']);
    assert.match(JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] })), /built on lw/);
    // idleTimeout 0: stopped as soon as no build waits for it.
    const after = await waitUntil(async () => { const w = await worker('lw'); return w.latent.state === 'idle' && w.connected_to.length === 0 && w; }, 'lw to be stopped', 60_000);
    assert.equal(after.latent.instance, null);
    assert.ok(after.tags.includes('local-latent'), `its tags: ${after.tags}`);
    await waitUntil(() => livePids(env.masterDir).length === 0, 'the worker process to exit');
  });

  const started = () => readdirSync(markDir()).filter((f) => f.startsWith('started-')).length;
  const gatedBuilds = async () => {
    const [b] = await master.get(['builders', 'gated']);
    return master.get(['builders', b.builderid, 'builds']);
  };

  it('a latent pool of max 2 runs 4 waiting requests two at a time, says so meanwhile, and stops its processes', async () => {
    for (let i = 0; i < 4; i++) await master.submit(['gated']);
    await waitUntil(() => started() === 2, 'two builds to start', 120_000);
    const waiting = await waitUntil(async () => {
      const reqs = (await master.get(['buildrequests'])).filter((r) => !r.claimed && !r.complete);
      return reqs.length === 2 && reqs.every((r) => r.pending_reason?.code === 'latent_pool_full') && reqs;
    }, 'the other two to wait for the pool');
    assert.match(waiting[0].pending_reason.message, /all 2 instances of latent pool lp are running builds \(max 2\)/);
    assert.equal(livePids(env.masterDir).length, 2);
    writeFileSync(releaseFile(), '');
    const done = await waitUntil(async () => { const bs = await gatedBuilds(); return bs.length === 4 && bs.every((b) => b.complete) && bs; }, 'the 4 builds to finish', 120_000);
    assert.deepEqual(done.map((b) => b.results), [0, 0, 0, 0]);
    await waitUntil(() => livePids(env.masterDir).length === 0, 'the pool\'s processes to exit', 60_000);
  });

  it('a master killed while latent processes run builds reuses them when it starts again, and leaves none behind', async () => {
    rmSync(releaseFile());
    const before = started();
    await master.submit(['gated']);
    await master.submit(['gated']);
    await waitUntil(() => started() === before + 2, 'two builds to run', 120_000);
    const pids = livePids(env.masterDir).sort();
    assert.equal(pids.length, 2);
    await master.kill('SIGKILL');
    assert.deepEqual(livePids(env.masterDir).sort(), pids, 'the worker processes outlive the killed master');
    master = await env.startMaster();
    await waitUntil(() => started() === before + 4, 'the interrupted builds to run again', 120_000);
    assert.match(master.output, /reusing instance/);
    assert.deepEqual(livePids(env.masterDir).sort(), pids, 'the same processes ran them');
    writeFileSync(releaseFile(), '');
    await waitUntil(async () => (await gatedBuilds()).every((b) => b.complete), 'the builds to finish', 120_000);
    await waitUntil(() => livePids(env.masterDir).length === 0, 'no latent process to be left', 60_000);
  });
});
