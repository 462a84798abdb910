import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { formatIssue } from '../src/model/config-errors.js';
import { builder, defineConfig, latent, latentPool, worker } from '../src/config/factories.js';
import { tryLoadConfig } from '../src/config/load.js';
import { Secret } from '../src/process/renderables.js';
import type { StepFactory } from '../src/process/step-types.js';

const opts = { masterDir: '/tmp/m' };
const step: StepFactory = { stepType: 'fake', options: { name: 's' }, create: () => { throw new Error('not run'); } };
const messages = (raw: unknown) => checkConfig(raw, opts).issues.map(formatIssue);
const tmp = mkdtempSync(join(tmpdir(), 'mastro-latent-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DOCKER_DEFAULTS = {
  kind: 'docker', dockerHost: null, tls: null, volumes: [], hostConfig: {}, network: null, env: {}, command: null, hostname: null, stopTimeout: 10, apiTimeout: 60,
};

test("latent workers and latent pools sit in the workers list and get every default; a provider given a name is a latent worker, as Buildbot's DockerLatentWorker", () => {
  const c = normaliseConfig(defineConfig({
    workers: [
      worker('w0', 'pw'),
      latent.docker({ name: 'd1', image: 'ci-worker' }),
      latent({ name: 'l1', password: 'secret', provider: latent.local({}) }),
      latentPool({ name: 'dock', provider: latent.docker({ image: 'ci-worker', network: 'host' }), max: 4, tags: ['docker'] }),
    ],
    builders: [builder({ name: 'b', workerNames: ['d1', 'l1', 'w0'], steps: [step] })],
  }), opts);
  assert.deepEqual(c.workers.map((w) => w.name), ['w0']);
  assert.deepEqual(c.latentWorkers, [
    { name: 'd1', password: null, provider: { ...DOCKER_DEFAULTS, image: 'ci-worker' }, idleTimeout: 0, startTimeout: 600, tags: [], maxBuilds: null, properties: {}, failureBackoff: { initial: 10, max: 3600 } },
    { name: 'l1', password: 'secret', provider: { kind: 'local', basedir: 'latent-workers', workerCommand: null, env: {}, stopTimeout: 10 }, idleTimeout: 600, startTimeout: 600, tags: [], maxBuilds: null, properties: {}, failureBackoff: { initial: 10, max: 3600 } },
  ]);
  assert.deepEqual(c.latentPools, [
    { name: 'dock', min: 0, max: 4, provider: { ...DOCKER_DEFAULTS, image: 'ci-worker', network: 'host' }, idleTimeout: 0, startTimeout: 600, tags: ['docker'], maxBuilds: null, properties: {}, failureBackoff: { initial: 10, max: 3600 } },
  ]);
});

test('a plain object with a provider is a latent worker, or a latent pool when it has max', () => {
  const c = normaliseConfig({
    workers: [
      { name: 'c1', provider: { kind: 'command', start: 'vm start', stop: ['vm', 'stop'] }, idleTimeout: null, failureBackoff: { initial: 1, max: 8 } },
      { name: 'cp', provider: { kind: 'command', start: 'vm start', stop: 'vm stop', os: 'windows' }, min: 1, max: 2 },
    ],
  }, opts);
  assert.deepEqual(c.latentWorkers.map((w) => [w.name, w.idleTimeout, w.failureBackoff, w.provider]), [
    ['c1', null, { initial: 1, max: 8 }, { kind: 'command', start: 'vm start', stop: ['vm', 'stop'], list: null, env: {}, timeout: 600, os: null, arch: null }],
  ]);
  assert.deepEqual(c.latentPools.map((p) => [p.name, p.min, p.max, (p.provider as { os: string }).os]), [['cp', 1, 2, 'windows']]);
});

test('latent mistakes are reported with their paths and what to write instead', () => {
  const got = messages({
    workers: [
      latent.docker({ name: 'd1', imag: 'x' } as any),
      latent({ name: 'd2', provider: latent.docker({ image: 'x', idleTimeout: 5, dockerHost: 'docker.example.org' }) }),
      latentPool({ name: 'p/1', provider: latent.local({}), min: 5, max: 2, tags: ['os=linux'] }),
      latentPool({ name: 'p2', provider: { kind: 'ec2' } as any } as any),
      latent({ name: 'd3', provider: latent.command({ start: [], stop: 'x', masterAddress: 'ws://ci:9989/' } as any) }),
      worker('d3', 'pw'),
      latent({ name: 'd4', provider: latent.docker({ image: 'x', volumes: ['/only-one-side'], failureBackoff: { initial: 10, max: 5 } } as any) }),
      latent({ name: 'd5', provider: latent.docker({ image: 'x' }), failureBackoff: { initial: 10, max: 5 } }),
    ],
    builders: [builder({ name: 'b', workerNames: ['nope'], steps: [step] })],
  });
  const has = (line: RegExp) => assert.ok(got.some((g) => line.test(g)), `${line} in:\n${got.join('\n')}`);
  has(/^workers\[0\]\.provider\.imag: unknown option; did you mean 'image'\?$/);
  has(/^workers\[0\]\.provider\.image: is required: The image each container runs/);
  has(/^workers\[1\]\.provider\.idleTimeout: belongs to the latent worker, not its provider: latent\(\{ idleTimeout, provider: latent\.docker\(\{\.\.\.\}\) \}\)$/);
  has(/^workers\[1\]\.provider\.dockerHost: is not a Docker address: give unix:\/\/\/var\/run\/docker\.sock or tcp:\/\/host:2376$/);
  has(/^workers\[2\]\.name: is not a valid pool name/);
  has(/^workers\[2\]\.min: must be at most max \(2\), got 5$/);
  has(/^workers\[2\]\.tags: tag "os=linux" sets 'os', which the worker reports itself .*\(its provider gives the os= it knows: latent\.docker os=linux/);
  has(/^workers\[3\]\.max: is required$/);
  has(/^workers\[3\]\.provider\.kind: "ec2" is no latent worker provider; providers are: docker, local, command$/);
  has(/^workers\[4\]\.provider\.start: must be a command: a string \(run by the shell\) or a non-empty list of strings/);
  has(/^workers\[4\]\.provider\.masterAddress: is not host or host:port \(Buildbot's masterFQDN, not a URL\)/);
  has(/^workers\[5\]\.name: duplicate worker name "d3" \(also workers\[4\]\)$/);
  has(/^workers\[6\]\.provider\.volumes: "\/only-one-side" is not 'host-path:container-path'/);
  has(/^workers\[6\]\.provider\.failureBackoff: belongs to the latent worker/);
  has(/^workers\[7\]\.failureBackoff\.max: must be at least initial \(10\), got 5$/);
  has(/^builders\[0\]\.workerNames\[0\]: no worker named "nope"; workers are: d3, d1, d2, d4, d5$/);
});

test('the YAML form writes latent: { ... } and latentPool: { ... } with the provider as { docker: {...} }, and { secret } for a password', async () => {
  const dir = join(tmp, 'yaml');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.yaml'), `workers:
  - latent: { name: d1, password: { secret: d1-pw }, provider: { docker: { image: ci-worker, network: host, volumes: ['/srv/cache:/cache:ro'] } }, idleTimeout: 30 }
  - latentPool: { name: dock, provider: { local: { stopTimeout: 3 } }, min: 1, max: 4, tags: [docker] }
  - latent: { name: c1, provider: { command: { start: [vm, start], stop: vm stop } } }
builders:
  - { name: b, workerNames: [d1], steps: [] }
  - { name: t, workerTags: [docker], steps: [] }
`);
  const loaded = await tryLoadConfig(dir);
  assert.deepEqual(loaded.issues, []);
  const [d1, c1] = loaded.config!.latentWorkers;
  assert.equal((d1!.password as { constructor: { name: string } }).constructor.name, Secret('x').constructor.name);
  assert.deepEqual(d1!.provider, { ...DOCKER_DEFAULTS, image: 'ci-worker', network: 'host', volumes: ['/srv/cache:/cache:ro'] });
  assert.equal(d1!.idleTimeout, 30);
  assert.deepEqual(c1!.provider, { kind: 'command', start: ['vm', 'start'], stop: 'vm stop', list: null, env: {}, timeout: 600, os: null, arch: null });
  assert.deepEqual(loaded.config!.latentPools.map((p) => [p.name, p.min, p.max, p.provider]), [['dock', 1, 4, { kind: 'local', basedir: 'latent-workers', workerCommand: null, env: {}, stopTimeout: 3 }]]);
});

test('the YAML schema refuses unknown latent and provider options and a provider helper that does not exist, with their paths', async () => {
  const dir = join(tmp, 'yaml-bad');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.yaml'), `workers:
  - latent: { name: d1, provider: { docker: { image: x, netwrok: host } }, idletimeout: 3 }
  - latentPool: { name: p, provider: { kubernetes: {} }, max: 2 }
`);
  const got = (await tryLoadConfig(dir)).issues.map(formatIssue);
  const has = (text: string) => assert.ok(got.some((g) => g.includes(text)), `${text} in:\n${got.join('\n')}`);
  has("workers[0].latent.provider.docker.netwrok: unknown option; did you mean 'network'?");
  has("workers[0].latent.idletimeout: unknown option; did you mean 'idleTimeout'?");
  has('workers[1].latentPool.provider.kubernetes: unknown option');
});
