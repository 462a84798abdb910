/**
 * Worker pools end to end (issue 13): a real master process and real `mastro-worker` processes over
 * loopback. Hosts join a pool with its token only (`create-worker --pool --token-file`, no name, no
 * per-host entry in the master's config); builders select them by tags; the master enforces the
 * pool's size, refuses and rate-limits wrong tokens, disconnects workers whose token a reconfig
 * removed, explains a builder whose tags no worker has, and named workers go on as before.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workerOs } from 'mastro-protocol';
import { TestEnv, WORKER_CLI, hasBuildbotWorker, waitUntil, type MasterProcess } from './support/master-harness.js';
import { startMastroWorker, type MastroWorkerProcess } from './support/workers-mastro-worker.js';
import { poolLoginHeaders, upgradeAnswer, type UpgradeAnswer } from './support/workers-upgrade.js';

const OS = workerOs(process.platform);
const TOKEN_A = 'pool-token-a-0123456789abcdef0123456789abcdef';
const TOKEN_B = 'pool-token-b-fedcba9876543210fedcba9876543210';

function config(o: { tokens: string[]; releaseFile: string; markDir: string; guardedSecret?: string }): string {
  const secretsDir = join(o.markDir, '..', 'secrets');
  const gate = `touch ${o.markDir}/started-$BUILD; while [ ! -f ${o.releaseFile} ]; do sleep 0.05; done`;
  return `import { defineConfig, worker, workerPool, builder, steps, util, secrets } from 'mastro';
export default defineConfig({
  title: 'pools',
  secrets: [secrets.directory(${JSON.stringify(secretsDir)})],
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [
    worker('named1', 'named-pass'),
    worker('bb1', 'bb-pass'),
    workerPool({ name: 'linux', token: ${JSON.stringify(o.tokens.length === 1 ? o.tokens[0] : o.tokens)}, maxWorkers: 3, tags: ['ci=pool'], maxBuilds: 2 }),
    workerPool({ name: 'guarded', token: util.secret(${JSON.stringify(o.guardedSecret ?? 'guarded-token')}) }),
  ],
  builders: [
    builder({ name: 'spread', workerTags: [${JSON.stringify(`os=${OS}`)}], collapseRequests: false, steps: [
      steps.shell({ name: 'gate', command: ['sh', '-c', ${JSON.stringify(gate)}], env: { BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
    ] }),
    builder({ name: 'windows-docker', workerTags: ['os=nosuch-os', 'ci=pool', 'docker'], steps: [steps.shell({ command: ['true'] })] }),
    builder({ name: 'bb-linux', workerNames: ['bb1'], workerTags: ['os=linux'], steps: [steps.shell({ command: ['true'] })] }),
    builder({ name: 'named', workerNames: ['named1'], steps: [steps.shell({ command: ['sh', '-c', 'echo on $WORKERNAME'], env: { WORKERNAME: util.Interpolate('%(prop:workername)s') } })] }),
  ],
});
`;
}

/** One WebSocket upgrade as a pool worker: the refusal, or 101. */
const poolUpgrade = (port: number, pool: string, name: string, token: string): Promise<UpgradeAnswer> =>
  upgradeAnswer(`ws://127.0.0.1:${port}/`, poolLoginHeaders(pool, name, token));

describe('worker pools against a real master and real mastro-worker processes', { timeout: 300_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let markDir: string;
  let releaseFile: string;
  const workers = new Map<string, MastroWorkerProcess>();
  let api: (path: string) => Promise<any>;

  /** Each host keeps the pool's token in a file of its own (mode 600), as a deployment copies it. */
  const tokenFile = (dir: string, token: string): string => {
    const file = join(env.root, `${dir}.token`);
    writeFileSync(file, `${token}\n`);
    chmodSync(file, 0o600);
    return file;
  };
  const joinPool = (dir: string, token: string, pool = 'linux'): MastroWorkerProcess => {
    // No --name: each directory makes a unique one from the host name, so one command fits every host.
    execFileSync(process.execPath, [WORKER_CLI, 'create-worker', join(env.root, dir), `127.0.0.1:${master.ready.workerPort}`, '--pool', pool, '--token-file', tokenFile(dir, token)]);
    const w = startMastroWorker(join(env.root, dir));
    workers.set(dir, w);
    return w;
  };
  const poolWorkers = async (): Promise<any[]> => (await api('/api/v2/workers?pool=linux')).workers;
  const connected = (list: any[]) => list.filter((w) => w.connected_to.length > 0);

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    releaseFile = join(env.root, 'release');
    env.writeConfig(config({ tokens: [TOKEN_A], releaseFile, markDir }));
    mkdirSync(join(env.root, 'secrets'), { mode: 0o700 });
    writeFileSync(join(env.root, 'secrets', 'guarded-token'), TOKEN_B, { mode: 0o600 });
    master = await env.startMaster();
    api = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${master.ready.httpPort}${path}`);
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
      return res.json();
    };
  });

  after(async () => {
    await Promise.all([...workers.values()].map((w) => w.stop()));
    await env.cleanup();
  });

  it('three workers join one pool with its token and no per-host config, and 30 builds of a builder selecting os=linux spread over all three', async () => {
    for (const dir of ['host-1', 'host-2', 'host-3']) joinPool(dir, TOKEN_A);
    const attached = await waitUntil(async () => {
      const list = connected(await poolWorkers());
      return list.length === 3 ? list : null;
    }, `three pool workers to attach:\n${[...workers.values()].map((w) => w.output()).join('\n')}`, 120_000);
    for (const w of attached) {
      assert.match(w.name, /^linux\/[a-z0-9_-]+-[0-9a-f]{6}$/, 'named POOL/NAME, the name made from the host name');
      assert.equal(w.pool, 'linux');
      assert.equal(w.os, OS);
      assert.equal(w.arch, process.arch);
      assert.deepEqual(w.tags, [`os=${OS}`, `arch=${process.arch}`, 'ci=pool']);
    }
    const spread = (await api('/api/v2/builders?name=spread')).builders[0];
    for (const w of attached) assert.ok(w.configured_on.some((c: any) => c.builderid === spread.builderid), `${w.name} is configured for the builder its tags select`);

    for (let i = 0; i < 30; i++) await master.submit(['spread']);
    // Builds hold until released: while they do, every free worker takes one (maxBuilds 2, one build per builder each).
    await waitUntil(async () => {
      const running = (await master.get(['builds'])).filter((b) => !b.complete);
      return new Set(running.map((b) => b.workerid)).size === 3 ? running : null;
    }, 'a build running on each of the three pool workers', 60_000);
    writeFileSync(releaseFile, '');
    const builds = await waitUntil(async () => {
      const all = (await master.get(['builds'])).filter((b) => b.builderid === spread.builderid);
      return all.length === 30 && all.every((b) => b.complete) ? all : null;
    }, '30 builds of spread to finish', 180_000);
    assert.ok(builds.every((b) => b.results === 0), JSON.stringify(builds.map((b) => b.results)));
    const perWorker = new Map<number, number>();
    for (const b of builds) perWorker.set(b.workerid, (perWorker.get(b.workerid) ?? 0) + 1);
    assert.deepEqual([...perWorker.keys()].sort(), attached.map((w) => w.workerid).sort(), 'every pool worker ran some of the builds');
  });

  it('the workers API shows pool, tags and platform and filters by pool and tags__contains, as Buildbot filters lists', async () => {
    const byTag = (await api(`/api/v2/workers?tags__contains=${encodeURIComponent('ci=pool')}`)).workers;
    assert.deepEqual(byTag.map((w: any) => w.pool), ['linux', 'linux', 'linux']);
    assert.equal((await api(`/api/v2/workers?tags__contains=${encodeURIComponent(`os=${OS}`)}&pool=linux`)).meta.total, 3);
    assert.equal((await api('/api/v2/workers?tags__contains=docker')).workers.length, 0);
    const named = (await api('/api/v2/workers?name=named1')).workers[0];
    assert.equal(named.pool, null, 'a named worker has no pool');
    const one = byTag[0];
    assert.equal((await api(`/api/v2/workers/${encodeURIComponent(one.name)}`)).workers[0].workerid, one.workerid, 'a pool worker by its POOL/NAME, the slash encoded');
  });

  it('the 4th worker of a pool of maxWorkers 3 is answered 503 and its log says the pool is full', async () => {
    const fourth = joinPool('host-4', TOKEN_A);
    await waitUntil(() => /HTTP 503: worker pool 'linux' is full: its maxWorkers \(3\) workers are attached/.test(fourth.output()),
      `the 4th worker to report the full pool:\n${fourth.output()}`, 60_000);
    assert.equal(connected(await poolWorkers()).length, 3);
    const raw = await poolUpgrade(master.ready.workerPort, 'linux', 'extra', TOKEN_A);
    assert.equal(raw.status, 503);
    assert.equal(raw.headers['x-mastro-pool'], 'linux', 'the answer echoes X-Mastro-Pool');
    assert.ok(Number(raw.headers['retry-after']) > 0, 'with Retry-After');
    await fourth.stop();
    workers.delete('host-4');
  });

  it('a builder whose tags no worker has shows them in its pending reason', async () => {
    const { brids } = await master.submit(['windows-docker']);
    const brid = Object.values(brids)[0]!;
    const req = await waitUntil(async () => {
      const [r] = await master.get(['buildrequests', brid]);
      return r.pending_reason?.code === 'no_worker_with_tags' ? r : null;
    }, 'the pending reason of the request nobody can take');
    assert.equal(req.pending_reason.message, 'no worker with os=nosuch-os, docker attached');
    assert.deepEqual(req.pending_reason.missingTags, ['os=nosuch-os', 'docker']);
  });

  it('a pool token may be a secret, looked up when the config is applied; a secret too short to be a token is refused with the reconfig', async () => {
    assert.equal((await poolUpgrade(master.ready.workerPort, 'guarded', 'probe', TOKEN_B)).status, 101, 'the secret is the token');
    writeFileSync(join(env.root, 'secrets', 'short'), 'tooshort', { mode: 0o600 });
    env.writeConfig(config({ tokens: [TOKEN_A], releaseFile, markDir, guardedSecret: 'short' }));
    const r = await master.call('reconfig');
    assert.equal(r.ok, false);
    assert.match(r.issues[0].message, /worker pool 'guarded': its token \(a secret\) is 8 characters long; a pool token admits any host that has it, so it needs at least 16/);
    env.writeConfig(config({ tokens: [TOKEN_A], releaseFile, markDir }));
    assert.equal((await poolUpgrade(master.ready.workerPort, 'guarded', 'probe2', TOKEN_B)).status, 101, 'the running config stayed');
  });

  it('a wrong token is refused with 401 and the worker says to check it; more failures from that address are refused with 429 before any check', async () => {
    const w = joinPool('host-wrong', 'not-the-token-of-this-pool-0000000000', 'guarded');
    await waitUntil(() => /refused worker '[^']+' of pool 'guarded' \(HTTP 401: unknown worker pool or wrong token/.test(w.output()),
      `the worker to report the refusal:\n${w.output()}`, 60_000);
    await w.stop();
    workers.delete('host-wrong');
    const unknown = await poolUpgrade(master.ready.workerPort, 'no-such-pool', 'x', TOKEN_B);
    const bad = await poolUpgrade(master.ready.workerPort, 'guarded', 'x', 'wrong-token-wrong-token-wrong');
    assert.equal(unknown.status, 401);
    assert.equal(bad.status, 401);
    assert.equal(unknown.body.replace('no-such-pool', 'P'), bad.body.replace('guarded', 'P'), 'one text for an unknown pool and a wrong token');
    assert.equal(bad.headers['x-mastro-pool'], 'guarded');
    let last: UpgradeAnswer = bad;
    for (let i = 0; i < 20 && last.status !== 429; i++) last = await poolUpgrade(master.ready.workerPort, 'guarded', `guess${i}`, `wrong-token-guess-${i}-0000000`);
    assert.equal(last.status, 429, 'failed logins of the address for the pool are rate-limited');
    assert.ok(Number(last.headers['retry-after']) > 0);
    assert.equal(last.headers['x-mastro-pool'], 'guarded');
    const right = await poolUpgrade(master.ready.workerPort, 'guarded', 'late', TOKEN_B);
    assert.equal(right.status, 429, 'even the right token waits: the limit is checked before the token');
    assert.match(master.output, /pool worker login refused: unknown pool or wrong token/);
    assert.doesNotMatch(master.output, /wrong-token|pool-token-a|pool-token-b/, 'tokens never reach the log');
  });

  it('named workers keep working beside pools', async () => {
    env.startWorker('named1', master.ready.workerPort, 'mastro-worker', 'named-pass');
    const { brids } = await master.submit(['named']);
    const brid = Object.values(brids)[0]!;
    const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === brid && b.complete), 'the named build', 120_000);
    assert.equal(build.results, 0);
    const named = (await api('/api/v2/workers?name=named1')).workers[0];
    assert.equal(named.workerid, build.workerid);
    assert.deepEqual(named.tags, [`os=${OS}`, `arch=${process.arch}`], 'a named mastro worker has its platform tags too');
  });

  it('a Debian buildbot-worker reports no platform: the master infers os=linux from its os_* keys, and a builder selecting os=linux runs on it', {
    skip: !hasBuildbotWorker() || process.platform !== 'linux' ? 'needs Debian buildbot-worker on Linux' : false,
  }, async () => {
    env.startWorker('bb1', master.ready.workerPort, 'buildbot-worker', 'bb-pass');
    const { brids } = await master.submit(['bb-linux']);
    const brid = Object.values(brids)[0]!;
    const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === brid && b.complete), 'the build on bb1', 120_000);
    assert.equal(build.results, 0);
    const bb = (await api('/api/v2/workers?name=bb1')).workers[0];
    assert.equal(build.workerid, bb.workerid);
    assert.deepEqual([bb.os, bb.arch, bb.tags], ['linux', null, ['os=linux']]);
  });

  it('a token removed by reconfig disconnects the workers that joined with it, and a worker given the new token comes back', async () => {
    // Rotation: first both tokens are accepted...
    env.writeConfig(config({ tokens: [TOKEN_A, TOKEN_B], releaseFile, markDir }));
    assert.equal((await master.call('reconfig')).ok, true);
    assert.equal(connected(await poolWorkers()).length, 3, 'adding a token disconnects nobody');
    // ...one host gets the new token in its file (the worker reads it again before each reconnect)...
    tokenFile('host-1', TOKEN_B);
    const host1 = JSON.parse(readFileSync(join(env.root, 'host-1', 'worker.json'), 'utf8'));
    // ...then the old token is removed.
    env.writeConfig(config({ tokens: [TOKEN_B], releaseFile, markDir }));
    assert.equal((await master.call('reconfig')).ok, true);
    const host1Name = `linux/${host1.name}`;
    const back = await waitUntil(async () => {
      const list = connected(await poolWorkers());
      return list.length === 1 && list[0].name === host1Name ? list : null;
    }, `only the worker with the new token to be attached:\n${workers.get('host-2')!.output()}`, 120_000);
    assert.equal(back[0].name, host1Name);
    await waitUntil(() => /refused worker '[^']+' of pool 'linux' \(HTTP 401/.test(workers.get('host-2')!.output()),
      `host-2, still on the removed token, to be refused:\n${workers.get('host-2')!.output()}`, 60_000);
    assert.match(master.output, /disconnecting a pool worker: the token it joined pool 'linux' with was removed from the master configuration/);
  });
});
