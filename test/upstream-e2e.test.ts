/**
 * The upstream scheduler against a second real mastro master: the downstream master polls the
 * upstream's REST API and, when the upstream builder `lib` finishes a successful build, builds
 * locally with the `lib` codebase pinned at the revision the upstream built (not the branch head).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, MasterProcess, waitUntil } from './support/master-harness.js';
import { configSource } from './support/config.js';

function upstreamConfig(repo: string): string {
  return configSource({ repo }, (m, v) => m.defineConfig({
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0 } },
    www: { port: 0 },
    workers: [m.worker('up0', 'pass')],
    builders: [m.builder({ name: 'lib', workerNames: ['up0'], steps: [m.steps.git({ repourl: v.repo, mode: 'full', method: 'clobber' })] })],
  }));
}

function downstreamConfig(repo: string, httpPort: number): string {
  return configSource({ repo, httpPort }, (m, v) => m.defineConfig({
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0 } },
    www: null,
    workers: [m.worker('down0', 'pass')],
    schedulers: [m.schedulers.upstream({ name: 'follow-lib', builderNames: ['bindings'], url: `http://127.0.0.1:${v.httpPort}`, builder: 'lib',
      codebase: 'lib', pollInterval: 0.2, codebases: { lib: { repository: v.repo, branch: 'main' } } })],
    builders: [m.builder({ name: 'bindings', workerNames: ['down0'], steps: [
      m.steps.git({ repourl: v.repo, codebase: 'lib', mode: 'full', method: 'clobber' }),
    ] })],
  }));
}

describe('an upstream scheduler following a second mastro master', () => {
  let env: TestEnv;
  let up: MasterProcess;
  let down: MasterProcess;
  let rev1: string;
  let rev2: string;

  before(async () => {
    env = new TestEnv();
    const [repo, r1] = env.makeRepo();
    rev1 = r1;
    writeFileSync(join(repo, 'test.sh'), 'echo newer\n');
    env.git(repo, 'commit', '-q', '-am', 'second');
    rev2 = env.git(repo, 'rev-parse', 'HEAD');
    env.writeConfig(upstreamConfig(repo));
    up = await env.startMaster();
    env.startWorker('up0', up.ready.workerPort);
    const downDir = join(env.root, 'downstream');
    mkdirSync(downDir);
    writeFileSync(join(downDir, 'master.config.ts'), downstreamConfig(repo, up.ready.httpPort!));
    down = await MasterProcess.start(downDir);
    (env as unknown as { procs: Set<unknown> }).procs.add(down.proc);
    env.startWorker('down0', down.ready.workerPort);
    await waitUntil(() => /recorded the upstream position/.test(down.output), 'the downstream to record the upstream position');
  });

  after(() => env.cleanup());

  it('starts a local build pinned at the revision of each new successful upstream build', async () => {
    await up.submit(['lib'], { revision: rev1 });
    const upBuild = await waitUntil(async () => (await up.get(['builds'])).find((b) => b.complete), 'the upstream build');
    assert.equal(upBuild.results, 0, up.output.slice(-2000));
    const build = await waitUntil(async () => (await down.get(['builds'])).find((b) => b.complete), 'the downstream build', 30_000);
    assert.equal(build.results, 0, down.output.slice(-2000));
    const { item } = await down.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
    assert.equal(item.properties.upstream_revision[0], rev1);
    const got = item.properties.got_revision[0];
    assert.equal(typeof got === 'string' ? got : got.lib, rev1, 'lib checked out at the upstream revision, not at head');
    assert.notEqual(rev1, rev2);
    const ss = await down.get(['sourcestamps']);
    assert.deepEqual(ss.map((s) => [s.codebase, s.revision]), [['lib', rev1]]);
  });
});
