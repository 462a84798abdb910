/**
 * End to end, real master process and real `mastro-worker` processes over loopback:
 * - a worker started only from Buildbot's latent-worker environment (BUILDMASTER, BUILDMASTER_PORT,
 *   BUILDMASTER_PROTOCOL, WORKERNAME, WORKERPASS), as a container of Buildbot's DockerLatentWorker
 *   or mastro's latent.docker starts it, attaches as the named worker it is and runs a build that
 *   never sees the password; its worker info carries os, arch and tags (PROTOCOL.md §3.5);
 * - a pool worker of a pool this master does not have is refused with 401 (the master knows pools,
 *   so it echoes X-Mastro-Pool) and told to check its token against that pool (PROTOCOL.md §1.1).
 *   A master that knows no pools at all is the worker tests' fake master's part (packages/worker/test).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, WORKER_CLI, waitUntil, type MasterProcess } from './support/master-harness.js';

function config(): string {
  return `import { defineConfig, worker, builder, steps } from 'mastro';
export default defineConfig({
  title: 'latent env',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: null,
  workers: [worker('docker-1', 'latent-pw')],
  builders: [
    builder({ name: 'env', workerNames: ['docker-1'], steps: [
      steps.shell({ name: 'show', command: 'echo "pass=[\${WORKERPASS-unset}] name=[\${WORKERNAME}]"', haltOnFailure: true }),
    ] }),
  ],
});
`;
}

describe('a mastro-worker started from Buildbot\'s latent-worker environment, against a real master', { timeout: 180_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let worker: ChildProcess;
  let workerOutput = '';

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    env.writeConfig(config());
    master = await env.startMaster();
    const workerEnv = {
      ...process.env, BUILDMASTER: '127.0.0.1', BUILDMASTER_PORT: String(master.ready.workerPort),
      BUILDMASTER_PROTOCOL: 'msgpack_experimental_v7', WORKERNAME: 'docker-1', WORKERPASS: 'latent-pw', MASTRO_WORKER_TAGS: 'docker,image=ci-node20',
    };
    // No create-worker: the directory does not exist yet, as in a fresh container.
    worker = spawn(process.execPath, [WORKER_CLI, 'start', join(env.root, 'container-worker'), '--foreground'], { env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    worker.stdout!.on('data', (d) => { workerOutput += d; });
    worker.stderr!.on('data', (d) => { workerOutput += d; });
  });

  after(async () => {
    if (worker.exitCode === null && worker.signalCode === null) {
      const gone = new Promise((r) => worker.once('exit', r));
      try { process.kill(-worker.pid!, 'SIGKILL'); } catch { /* gone */ }
      await gone;
    }
    await env.cleanup();
  });

  it('attaches as the named worker, reports its platform and tags, and runs a build that never sees WORKERPASS', async () => {
    const [w] = await waitUntil(async () => {
      const workers = await master.get(['workers']);
      return workers.some((x) => x.name === 'docker-1' && x.connected_to?.length) ? workers : null;
    }, `docker-1 to attach; worker output:\n${workerOutput}`, 60_000);
    assert.equal(w.workerinfo.os, process.platform === 'win32' ? 'windows' : process.platform);
    assert.equal(w.workerinfo.arch, process.arch);
    assert.deepEqual(w.workerinfo.tags, ['docker', 'image=ci-node20']);
    assert.equal(w.workerinfo.environ.WORKERPASS, undefined, 'the password is not in the worker info the API shows');
    await master.submit(['env']);
    const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.complete), 'the build to finish', 60_000);
    const steps = await master.get(['builds', build.buildid, 'steps']);
    assert.equal(build.results, 0, JSON.stringify(steps.map((s) => [s.name, s.results, s.state_string])));
    const logs = await master.get(['steps', steps[1].stepid, 'logs']);
    const contents = JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] }));
    assert.match(contents, /pass=\[unset\] name=\[docker-1\]/);
    assert.doesNotMatch(contents, /latent-pw/);
    assert.doesNotMatch(readFileSync(join(env.root, 'container-worker', 'worker.json'), 'utf8'), /latent-pw/);
    assert.doesNotMatch(workerOutput, /latent-pw/);
  });

  it('a pool worker of a pool this master does not have is refused and told to check its token against that pool', async () => {
    const token = join(env.root, 'pool.token');
    writeFileSync(token, 'pool-token\n');
    chmodSync(token, 0o600);
    const dir = join(env.root, 'pool-worker');
    execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `127.0.0.1:${master.ready.workerPort}`, '--pool', 'linux', '--token-file', token, '--name', 'b1']);
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      const start = spawn(process.execPath, [WORKER_CLI, 'start', dir, '--wait', '60'], { stdio: ['ignore', 'ignore', 'pipe'] });
      start.stderr!.on('data', (d) => { stderr += d; });
      start.on('exit', resolve);
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /refused worker 'b1' of pool 'linux' \(HTTP 401: unknown worker pool or wrong token.*\): check the token in .*pool\.token against the tokens of workerPool\(\{ name: 'linux' \}\)/);
    // The master saw a failed pool login, and the named worker is still attached.
    const workers = await master.get(['workers']);
    assert.ok(workers.find((x) => x.name === 'docker-1').connected_to.length);
    assert.ok(!workers.some((x) => x.name === 'b1' || x.name === 'linux/b1'));
  });
});
