import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { formatIssue } from '../src/model/config-errors.js';
import { builder, defineConfig, worker, workerPool } from '../src/config/factories.js';
import { tryLoadConfig } from '../src/config/load.js';
import { Secret } from '../src/process/renderables.js';
import type { StepFactory } from '../src/process/step-types.js';

const opts = { masterDir: '/tmp/m' };
const TOKEN = 'a-pool-token-of-32-characters-ok';
const step: StepFactory = { stepType: 'fake', options: { name: 's' }, create: () => { throw new Error('not run'); } };
const messages = (raw: unknown) => checkConfig(raw, opts).issues.map(formatIssue);

const tmp = mkdtempSync(join(tmpdir(), 'mastro-pools-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a pool sits in the workers list beside named workers and gets every default', () => {
  const c = normaliseConfig(defineConfig({
    workers: [worker('w0', 'pw'), workerPool({ name: 'linux', token: TOKEN })],
    builders: [builder({ name: 'b', workerTags: ['os=linux'], steps: [step] })],
  }), opts);
  assert.deepEqual(c.workers.map((w) => w.name), ['w0']);
  assert.deepEqual(c.workerPools, [{ name: 'linux', tokens: [TOKEN], tags: [], maxWorkers: 1000, maxBuilds: null, properties: {}, forgetAfter: 86400 }]);
  assert.deepEqual(c.builders[0]!.workerNames, []);
  assert.deepEqual(c.builders[0]!.workerTags, ['os=linux']);
});

test('a pool takes a secret, or two tokens while rotating, and a plain object with token and no password is a pool too', () => {
  const secret = Secret('pool-linux');
  const c = normaliseConfig({
    workers: [workerPool({ name: 'a', token: secret }), workerPool({ name: 'b', token: [TOKEN, `${TOKEN}-next`] }), { name: 'c', token: TOKEN, tags: ['docker'] }],
  }, opts);
  assert.deepEqual(c.workerPools.map((p) => [p.name, p.tokens.length]), [['a', 1], ['b', 2], ['c', 1]]);
  assert.equal(c.workerPools[0]!.tokens[0], secret);
  assert.deepEqual(c.workerPools[2]!.tags, ['docker']);
});

test('pool mistakes are reported with their paths: short, missing or three tokens, os= tags, bad names, limits', () => {
  const got = messages({
    workers: [
      workerPool({ name: 'bad/name', token: 'short' }),
      workerPool({ name: 'p2', token: [TOKEN, TOKEN, TOKEN] }),
      workerPool({ name: 'p3', token: [TOKEN, TOKEN] }),
      workerPool({ name: 'p4', token: TOKEN, tags: ['os=linux'], maxWorkers: 0, forgetAfter: -1, colour: 'red' } as any),
      workerPool({ name: 'p4', token: undefined }),
    ],
  });
  const has = (line: RegExp) => assert.ok(got.some((g) => line.test(g)), `${line} in:\n${got.join('\n')}`);
  has(/^workers\[0\]\.name: is not a valid pool name: use 1 to 63 letters/);
  has(/^workers\[0\]\.token: is 5 characters long; a pool token admits any host that has it, so it needs at least 16: make one with `openssl rand -hex 32`$/);
  has(/^workers\[1\]\.token: holds 3 tokens; give one, or two while rotating/);
  has(/^workers\[2\]\.token\[1\]: is the same token as token\[0\]/);
  has(/^workers\[3\]\.tags: tag "os=linux" sets 'os', which the worker reports itself/);
  has(/^workers\[3\]\.maxWorkers: must be at least 1, got 0$/);
  has(/^workers\[3\]\.forgetAfter: must be at least 0, got -1$/);
  has(/^workers\[3\]\.colour: unknown option/);
  has(/^workers\[4\]\.token: is required/);
  has(/^workers\[4\]\.name: duplicate worker pool name "p4" \(also workers\[3\]\)$/);
});

test('a builder selects workers by workerNames, workerTags or both; with neither it says which to give', () => {
  const got = messages({
    workers: [worker('w0', 'pw')],
    builders: [
      builder({ name: 'none', steps: [step] }),
      builder({ name: 'empty', workerTags: [], steps: [step] }),
      builder({ name: 'two-os', workerTags: ['os=linux', 'os=windows'], steps: [step] }),
      builder({ name: 'ok', workerNames: ['w0'], workerTags: ['docker'], steps: [step] }),
    ],
  });
  assert.deepEqual(got, [
    'builders[0].workerNames: is required: list the workers that may run this builder, or select them by tags with workerTags',
    'builders[1].workerTags: must not be empty (or give workerNames)',
    'builders[2].workerTags[1]: "os=linux" and "os=windows" give \'os\' two values; no worker has both (all tags must match): keep one, or make two builders',
  ]);
});

test('the YAML form writes a pool as workerPool: { ... }, with { secret: name } for a token', async () => {
  const dir = join(tmp, 'yaml');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.yaml'), `workers:
  - { name: w0, password: pass }
  - workerPool: { name: linux, token: [{ secret: pool-old }, '${TOKEN}'], tags: [docker], maxWorkers: 50, forgetAfter: null }
builders:
  - { name: b, workerTags: [os=linux, docker], steps: [] }
`);
  const loaded = await tryLoadConfig(dir);
  assert.deepEqual(loaded.issues, []);
  const pool = loaded.config!.workerPools[0]!;
  assert.equal(pool.name, 'linux');
  assert.equal((pool.tokens[0] as { constructor: { name: string } }).constructor.name, Secret('x').constructor.name);
  assert.equal(pool.tokens[1], TOKEN);
  assert.equal(pool.maxWorkers, 50);
  assert.equal(pool.forgetAfter, null);
  assert.deepEqual(loaded.config!.builders[0]!.workerTags, ['os=linux', 'docker']);
});

test('the YAML schema refuses a short token and unknown pool options with their paths', async () => {
  const dir = join(tmp, 'yaml-bad');
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.yaml'), `workers:
  - workerPool: { name: linux, token: short, maxworkers: 3 }
`);
  const got = (await tryLoadConfig(dir)).issues.map(formatIssue);
  assert.ok(got.some((g) => /^workers\[0\]\.workerPool\.token: /.test(g)), got.join('\n'));
  assert.ok(got.some((g) => g.includes("workers[0].workerPool.maxworkers: unknown option; did you mean 'maxWorkers'?")), got.join('\n'));
});
