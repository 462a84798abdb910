/**
 * contrib/docker against a real Docker engine: both Dockerfiles build from this (built) checkout,
 * and contrib/docker/compose.yaml brings up PostgreSQL, the master and two workers that attach,
 * and runs a build posted to the master's change hook. Base images cannot be pulled here: local
 * stand-ins made from this machine's Node and Debian's PostgreSQL are tagged with the names the
 * files use (support/docker-stand-ins.ts); the images are built without the Dockerfiles' extra
 * Debian packages (EXTRA_PACKAGES, which would need apt inside the build).
 * Skipped, saying why, only when no Docker engine answers `docker info`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, waitUntil } from './support/master-harness.js';
import { dockerUnavailable, ensureNodeImage, ensurePostgresImage } from './support/docker-stand-ins.js';

const COMPOSE = join(ROOT, 'contrib/docker/compose.yaml');
const TAG = `ops-${process.pid}`;
const MASTER_IMAGE = `mastro-master:${TAG}`;
const WORKER_IMAGE = `mastro-worker:${TAG}`;

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 10 * 60_000): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** `docker compose` (the plugin) or Debian's docker-compose; null when neither is installed. */
function composeCommand(): string[] | null {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  return null;
}

describe('contrib/docker: the images and the compose setup', { skip: dockerUnavailable() ?? false, timeout: 20 * 60_000 }, () => {
  const project = `mastroops${process.pid}`;
  let compose: string[];
  let env: Record<string, string>;
  let httpPort: number;

  before(async () => {
    const c = composeCommand();
    assert.ok(c, 'neither `docker compose` nor docker-compose is installed: apt-get install docker-compose (.ci/run installs it)');
    compose = c;
    assert.ok(existsSync(join(ROOT, 'packages/master/dist/cli.js')), 'the checkout is not built: npm run build');
    httpPort = await freePort();
    env = {
      MASTRO_MASTER_IMAGE: MASTER_IMAGE, MASTRO_WORKER_IMAGE: WORKER_IMAGE, MASTRO_WORKER_PASSWORD: `compose-${process.pid}-secret`,
      MASTRO_HTTP_PORT: String(httpPort), MASTRO_WORKER_PORT: String(await freePort()),
    };
  });

  after(() => {
    if (compose) spawnSync(compose[0]!, [...compose.slice(1), '-f', COMPOSE, '-p', project, 'down', '-v', '--timeout', '10'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env }, timeout: 300_000 });
    spawnSync('docker', ['rmi', MASTER_IMAGE, WORKER_IMAGE], { stdio: 'ignore' });
  });

  it('builds the master and the worker image from the checkout', () => {
    const nodeImage = ensureNodeImage();
    ensurePostgresImage();
    for (const [file, tag] of [['master.Dockerfile', MASTER_IMAGE], ['worker.Dockerfile', WORKER_IMAGE]] as const) {
      run('docker', ['build', '-q', '-f', `contrib/docker/${file}`, '--build-arg', `NODE_IMAGE=${nodeImage}`, '--build-arg', 'EXTRA_PACKAGES=', '-t', tag, '.']);
    }
    assert.match(run('docker', ['run', '--rm', MASTER_IMAGE, '--version']), /^mastro \d+\.\d+\.\d+/m);
    assert.match(run('docker', ['run', '--rm', WORKER_IMAGE, '--version']), /^\d+\.\d+\.\d+/m);
    // The worker image holds the worker's runtime packages, not the master's nor the compilers.
    const modules = run('docker', ['run', '--rm', '--entrypoint', 'ls', WORKER_IMAGE, '/opt/mastro/node_modules']).split('\n');
    assert.ok(modules.includes('ws') && modules.includes('mastro-worker'));
    for (const gone of ['better-sqlite3', 'fastify', 'typescript']) assert.ok(!modules.includes(gone), `${gone} is not in the worker image`);
  });

  it('compose runs PostgreSQL, the master and two workers, and a change posted to the hook is built by one of them', async () => {
    run(compose[0]!, [...compose.slice(1), '-f', COMPOSE, '-p', project, 'up', '-d', '--no-build'], env);
    const api = `http://127.0.0.1:${httpPort}`;
    const get = async (path: string) => {
      try { return await (await fetch(`${api}${path}`)).json(); } catch { return null; }
    };
    await waitUntil(async () => (await get('/readyz'))?.ready === true, 'the master in compose to be ready', 180_000);
    const workers = await waitUntil(async () => {
      const w = (await get('/api/v2/workers'))?.workers ?? [];
      return w.filter((x: any) => x.connected_to.length).length === 2 ? w : null;
    }, 'both workers to attach', 180_000);
    assert.deepEqual(workers.map((w: any) => w.name).sort(), ['w1', 'w2']);
    const hook = await fetch(`${api}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ branch: 'main', revision: 'abc123', who: 'alice', comments: 'compose test' }) });
    assert.equal(hook.status, 200, await hook.clone().text());
    const build = await waitUntil(async () => (await get('/api/v2/builds?complete=true'))?.builds?.[0], 'the build to finish', 180_000);
    assert.equal(build.results, 0, JSON.stringify(build));
    assert.ok(workers.some((w: any) => w.workerid === build.workerid), 'one of the compose workers ran it');
    const [step] = (await get(`/api/v2/builds/${build.buildid}/steps`)).steps.filter((s: any) => s.name === 'hello');
    const [log] = (await get(`/api/v2/steps/${step.stepid}/logs`)).logs;
    const text = await (await fetch(`${api}/api/v2/logs/${log.logid}/raw`)).text();
    assert.match(text, /hello from \S+ for main/);
    // The master's database is the PostgreSQL service.
    const logs = run(compose[0]!, [...compose.slice(1), '-f', COMPOSE, '-p', project, 'logs', '--no-color', 'master'], env);
    assert.match(logs.split('\n').find((l) => l.includes('master registered')) ?? '', /"db":"postgresql"/);
  });
});
