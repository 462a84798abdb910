/**
 * latent.docker end to end (issue 13), against a real Docker engine (`.ci/run` installs Debian's
 * docker.io and starts dockerd; the image is built here from this machine's node and the compiled
 * worker, support/docker-image.ts, since images cannot be pulled). Containers use the host network,
 * so their worker reaches the master at 127.0.0.1. A real master process:
 *  - a forced build starts a container, ends SUCCESS in it, and the container is gone after idleTimeout;
 *  - a latent pool with max 4 and 12 waiting requests runs 4 containers at a time, and none remain;
 *  - killed with SIGKILL while containers run builds and started again, the master reuses them (the
 *    builds run again), and at the end no container with its labels is left;
 *  - an image the engine does not have: the provider is paused, and the request's pending reason says why.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TestEnv, WORKER_CLI, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';
import { buildWorkerImage, containersWithLabels, dockerUnavailable, removeContainers, removeImage, workerImageTag } from './support/docker-image.js';

// A tag of this run's own: other runs on the same engine keep theirs.
const IMAGE = workerImageTag('mastro-test-worker');
const skip = dockerUnavailable();
if (skip) console.log(`# latent.docker end-to-end tests skipped: ${skip}`);

function config(o: { masterName: string; marks: string; release: string; port: number }): string {
  const gate = `touch ${o.marks}/started-$BUILD; while [ ! -f ${o.release} ]; do sleep 0.05; done`;
  const docker = `image: ${JSON.stringify(IMAGE)}, network: 'host', masterAddress: '127.0.0.1', volumes: [${JSON.stringify(`${o.marks}:${o.marks}`)}], stopTimeout: 2`;
  return `import { defineConfig, latent, latentPool, builder, steps, util } from 'mastro';
export default defineConfig({
  title: 'latent docker',
  masterName: ${JSON.stringify(o.masterName)},
  db: { url: 'sqlite:state.sqlite' },
  // A fixed port: the containers a killed master leaves reconnect to it when it starts again.
  protocols: { msgpack: { port: ${o.port}, host: '127.0.0.1' } },
  www: null,
  workers: [
    latent.docker({ name: 'd1', ${docker} }),
    latentPool({ name: 'dock', provider: latent.docker({ ${docker} }), max: 4, tags: ['docker'] }),
    latent.docker({ name: 'broken', image: 'mastro-no-such-image:1', failureBackoff: { initial: 60 } }),
  ],
  builders: [
    builder({ name: 'single', workerNames: ['d1'], steps: [
      steps.shell({ name: 'where', command: 'ls /app/node_modules && echo "on $WORKERNAME"', env: { WORKERNAME: util.Interpolate('%(prop:workername)s') } }),
    ] }),
    builder({ name: 'gated', workerTags: ['docker'], collapseRequests: false, steps: [
      steps.shell({ name: 'gate', command: ['sh', '-c', ${JSON.stringify(gate)}], env: { BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
    ] }),
    builder({ name: 'broken', workerNames: ['broken'], steps: [steps.shell({ command: 'true' })] }),
  ],
});
`;
}

describe('latent.docker against a real Docker engine and a real master', { timeout: 600_000, skip: skip ?? false }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  // Shaped like the default masterName (host:dir), which the labels and their filters must carry as it is.
  const masterName = `${hostname()}:/tmp/latent-e2e-${randomBytes(4).toString('hex')}/master`;
  const mine = () => containersWithLabels({ 'org.mastro.master': masterName });
  let marks: string;
  let release: string;
  let port: number;
  const started = () => readdirSync(marks).filter((f) => f.startsWith('started-')).length;

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    buildWorkerImage(IMAGE);
    env = new TestEnv();
    marks = join(env.root, 'marks');
    // In the directory the containers mount, so the builds in them see it.
    release = join(marks, 'release');
    mkdirSync(marks);
    port = await freePort();
    env.writeConfig(config({ masterName, marks, release, port }));
    master = await env.startMaster();
  });

  after(async () => {
    await env?.cleanup();
    // Whatever a failed test left (the assertions below say whether anything was).
    removeContainers(mine());
    removeImage(IMAGE);
  });

  const builds = async (builder: string) => {
    const [b] = await master.get(['builders', builder]);
    return master.get(['builders', b.builderid, 'builds']);
  };

  it('a forced build starts a container, ends SUCCESS in it, and the container is gone after idleTimeout', async () => {
    assert.deepEqual(mine(), [], 'no container before a build wants one');
    await master.submit(['single']);
    const [build] = await waitUntil(async () => { const bs = await builds('single'); return bs[0]?.complete && bs; }, 'the build to finish', 180_000);
    const steps = await master.get(['builds', build.buildid, 'steps']);
    assert.equal(build.results, 0, JSON.stringify(steps.map((s) => [s.name, s.results, s.state_string])));
    const where = steps.find((s) => s.name === 'where');
    const logs = await master.get(['steps', where.stepid, 'logs']);
    const text = JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] }));
    assert.match(text, /mastro-worker/, 'the step ran in the container (its /app/node_modules)');
    assert.match(text, /on d1/);
    // latent.docker's idleTimeout defaults to 0 (Buildbot's DockerLatentWorker): gone once the build is done.
    await waitUntil(() => mine().length === 0, 'the container to be removed', 60_000);
    const [w] = await master.get(['workers', 'd1']);
    assert.equal(w.latent.state, 'idle');
    assert.equal(w.latent.provider, 'docker');
  });

  it('a latent pool with max 4 and 12 waiting requests runs 4 containers at a time, and none remain', async () => {
    for (let i = 0; i < 12; i++) await master.submit(['gated']);
    await waitUntil(() => started() === 4, '4 builds to start', 240_000);
    assert.equal(containersWithLabels({ 'org.mastro.master': masterName }).length, 4);
    const pending = await waitUntil(async () => {
      const reqs = (await master.get(['buildrequests'])).filter((r) => !r.claimed && !r.complete);
      return reqs.length === 8 && reqs.every((r) => r.pending_reason?.code === 'latent_pool_full') && reqs;
    }, 'the 8 others to wait for the full pool');
    assert.match(pending[0].pending_reason.message, /all 4 instances of latent pool dock are running builds/);
    assert.equal(started(), 4, 'no fifth build started while four ran');
    writeFileSync(release, '');
    const done = await waitUntil(async () => { const bs = await builds('gated'); return bs.length === 12 && bs.every((b) => b.complete) && bs; }, 'all 12 builds to finish', 300_000);
    assert.deepEqual(done.map((b) => b.results), Array(12).fill(0));
    const names = new Set<string>();
    for (const b of done) names.add((await master.get(['workers', b.workerid]))[0].name);
    assert.ok([...names].every((n) => /^dock\/[1-4]$/.test(n)), `the builds ran on the pool's 4 instances: ${[...names]}`);
    await waitUntil(() => mine().length === 0, 'every container of the pool to be removed', 120_000);
  });

  it('killed with SIGKILL while containers run and started again, the master reuses them and leaks none', async () => {
    const before = (await builds('gated')).length;
    const markBefore = started();
    // A fresh gate: the next builds wait for a new release file.
    const gate2 = join(marks, 'release2');
    env.writeConfig(config({ masterName, marks, release: gate2, port }));
    const r = await master.call('reconfig');
    assert.equal(r.ok, true, JSON.stringify(r.issues));
    await master.submit(['gated']);
    await master.submit(['gated']);
    await waitUntil(() => started() === markBefore + 2, 'two builds to run in containers', 240_000);
    const running = mine();
    assert.equal(running.length, 2);
    await master.kill('SIGKILL');
    assert.deepEqual(mine().sort(), running.sort(), 'the containers outlive a killed master');
    master = await env.startMaster();
    // The interrupted builds end RETRY and run again, on the containers the new master found.
    await waitUntil(() => started() >= markBefore + 4, 'the two builds to run again', 240_000);
    assert.match(master.output, /reusing instance/, 'the restarted master adopted the running containers');
    writeFileSync(gate2, '');
    await waitUntil(async () => {
      const bs = (await builds('gated')).slice(before);
      return bs.filter((b) => b.complete && b.results === 0).length === 2 && bs.every((b) => b.complete);
    }, 'the rerun builds to finish', 240_000);
    await waitUntil(() => mine().length === 0, 'no container of this master to be left', 120_000);
  });

  it('an image the engine does not have pauses the provider, and the pending reason says why', async () => {
    await master.submit(['broken']);
    const req = await waitUntil(async () => {
      const [b] = await master.get(['builders', 'broken']);
      const reqs = (await master.get(['buildrequests'])).filter((r) => r.builderid === b.builderid && !r.complete);
      return reqs[0]?.pending_reason?.code === 'latent_provider_paused' && reqs[0];
    }, 'the request to say the provider is paused', 120_000);
    assert.match(req.pending_reason.message, /^latent worker broken could not be started: image mastro-no-such-image:1 is not on the Docker engine at unix:\/\/\/var\/run\/docker\.sock; mastro does not pull images.*\(1 failure in a row; trying again in \d+ s\)/);
    const [w] = await master.get(['workers', 'broken']);
    assert.equal(w.latent.failures, 1);
    assert.ok(w.latent.pausedUntil > Date.now() / 1000, 'paused for its failureBackoff');
    assert.deepEqual(containersWithLabels({ 'org.mastro.master': masterName, 'org.mastro.worker': 'broken' }), []);
  });
});
