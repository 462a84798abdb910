/**
 * Overlapping-build policies on a real master and worker, changes arriving through `mastro
 * sendchange` and the base change hook. Each policy has its own branch, scheduler and gated
 * builder (one worker: one build at a time per builder; builds wait for a release file):
 *   queue               -> every change is built;
 *   collapse            -> a pending request is cancelled when a newer change arrives, the running build finishes;
 *   cancel-in-progress  -> the running build is stopped (CANCELLED, with the reason) and the newest change runs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, ROOT, waitUntil, type MasterProcess } from './support/master-harness.js';
import { configSource } from './support/config.js';

const CLI = join(ROOT, 'packages/master/src/cli.ts');
const POLICIES = ['queue', 'collapse', 'cancel-in-progress'] as const;

function config(markDir: string): string {
  return configSource({ markDir, policies: [...POLICIES] }, (m, v) => {
    const policies = v.policies as Array<typeof POLICIES[number]>;
    const builders = policies.map((p) => {
      const script = `touch ${v.markDir}/${p}-started-$BUILD; while [ ! -f ${v.markDir}/release-${p} ]; do sleep 0.05; done`;
      return m.builder({ name: `b-${p}`, workerNames: ['w0'], collapseRequests: false, steps: [
        m.steps.shell({ name: 'wait', command: ['sh', '-c', script], env: { BUILD: m.util.Interpolate('%(prop:buildnumber)s') } }) ] });
    });
    const scheds = policies.map((p) => m.schedulers.anyBranch({ name: `s-${p}`, builderNames: [`b-${p}`], changeFilter: { branch: p }, overlap: p }));
    return m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, changeHooks: { base: {} } },
      workers: [m.worker('w0', 'pass', { maxBuilds: 3 })],
      schedulers: scheds,
      builders,
    });
  });
}

function sendchange(httpPort: number, branch: string, revision: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, 'sendchange', '--master', `127.0.0.1:${httpPort}`, '--who', 'dev <d@x>', '--branch', branch, '--revision', revision, 'file.c'], { cwd: ROOT },
      (err, stdout, stderr) => (err ? reject(new Error(`sendchange failed: ${stdout}${stderr}`)) : resolve()));
  });
}

describe('overlapping-build policies', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let markDir: string;

  before(async () => {
    env = new TestEnv();
    markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    env.writeConfig(config(markDir));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
  });

  after(() => env.cleanup());

  /** Builds of a builder with their revision, by build number. */
  async function builds(policy: string) {
    const [b] = await master.get(['builders', `b-${policy}`]);
    const list = await master.call('get', { path: ['builders', b.builderid, 'builds'], spec: { properties: ['revision'] } });
    return (list.items as any[]).sort((x, y) => x.number - y.number).map((x) => ({ buildid: x.buildid, number: x.number, results: x.results, complete: x.complete, state: x.state_string, revision: x.properties.revision?.[0] }));
  }
  const buildsetCount = async () => (await master.get(['buildsets'])).length;

  for (const policy of POLICIES) {
    it(`${policy}: three changes while the first build runs`, async () => {
      const sets = await buildsetCount();
      await sendchange(master.ready.httpPort!, policy, `${policy}-r1`);
      await waitUntil(() => existsSync(join(markDir, `${policy}-started-1`)), 'the first build to start');
      await sendchange(master.ready.httpPort!, policy, `${policy}-r2`);
      await waitUntil(async () => (await buildsetCount()) === sets + 2, 'the second buildset');
      if (policy === 'cancel-in-progress') await waitUntil(() => existsSync(join(markDir, `${policy}-started-2`)), 'the second build to replace the first');
      await sendchange(master.ready.httpPort!, policy, `${policy}-r3`);
      await waitUntil(async () => (await buildsetCount()) === sets + 3, 'the third buildset');
      writeFileSync(join(markDir, `release-${policy}`), '');
      const expected = policy === 'queue' ? 3 : policy === 'collapse' ? 2 : 3;
      const done = await waitUntil(async () => {
        const bs = await builds(policy);
        const reqs = (await master.get(['buildrequests'])).filter((r) => !r.complete);
        return bs.length === expected && bs.every((b) => b.complete) && reqs.length === 0 ? bs : null;
      }, `${policy}: all builds to finish`, 30_000);
      const summary = done.map((b) => [b.revision, b.results]);
      if (policy === 'queue') {
        assert.deepEqual(summary, [[`${policy}-r1`, 0], [`${policy}-r2`, 0], [`${policy}-r3`, 0]]);
      } else if (policy === 'collapse') {
        assert.deepEqual(summary, [[`${policy}-r1`, 0], [`${policy}-r3`, 0]], 'the pending r2 was collapsed into r3; r1 was not interrupted');
        const reqs = await master.get(['buildrequests']);
        assert.ok(reqs.some((r) => r.results === 6), 'the collapsed request ended CANCELLED');
      } else {
        assert.deepEqual(summary, [[`${policy}-r1`, 6], [`${policy}-r2`, 6], [`${policy}-r3`, 0]], 'running builds were cancelled by newer changes');
        const { item } = await master.call('get', { path: ['builds', done[0]!.buildid], spec: { properties: ['cancelled_reason'] } });
        assert.match(item.properties.cancelled_reason[0], /superseded by buildset \d+ \(concurrency group s-cancel-in-progress@:cancel-in-progress, cancel-in-progress\)/);
      }
    });
  }
});
