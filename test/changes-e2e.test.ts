/**
 * Change sources wired into a real master, with real git repositories and a real worker:
 *  - two git pollers (codebases `lib` and `bindings`) feed one multi-codebase scheduler: a push to
 *    bindings builds bindings at its new head with lib pinned at its last known-good revision
 *    (the last successful build's), not at lib's broken head;
 *  - a mirror poller feeds another scheduler; its status (cycle time, per-repository errors) is
 *    served by the `changesources` API resource.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';

describe('git pollers, a mirror poller and a multi-codebase scheduler on a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  const repos: Record<string, string> = {};

  const commit = (name: string, file: string, content: string): string => {
    writeFileSync(join(repos[name]!, file), content);
    env.git(repos[name]!, 'add', '.');
    env.git(repos[name]!, 'commit', '-q', '-m', `${file}: ${content.trim()}`);
    return env.git(repos[name]!, 'rev-parse', 'HEAD');
  };

  before(async () => {
    env = new TestEnv();
    for (const name of ['lib', 'bindings', 'app']) {
      const dir = join(env.root, name);
      mkdirSync(dir);
      env.git(dir, 'init', '-q', '-b', 'main');
      repos[name] = dir;
    }
    commit('lib', 'check.sh', 'exit 0\n');
    commit('bindings', 'bind.txt', 'bindings v1\n');
    commit('app', 'app.sh', 'echo app v1\n');
    env.writeConfig({ lib: repos.lib!, bindings: repos.bindings!, app: repos.app!, missing: join(env.root, 'missing') }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: null,
      workers: [m.worker('w0', 'pass', { maxBuilds: 2 })],
      changeSources: [
        m.changes.gitPoller({ name: 'lib', repourl: v.lib, branches: ['main'], codebase: 'lib', pollInterval: 0.2, pollAtLaunch: true }),
        m.changes.gitPoller({ name: 'bindings', repourl: v.bindings, branches: ['main'], codebase: 'bindings', pollInterval: 0.2, pollAtLaunch: true }),
        m.changes.mirrorPoller({ name: 'mirrors', repositories: [v.app, v.missing], codebase: 'app', pollInterval: 0.2 }),
      ],
      schedulers: [
        m.schedulers.anyBranch({ name: 'combined', builderNames: ['combined'], codebases: { lib: { repository: v.lib, branch: 'main' }, bindings: { repository: v.bindings, branch: 'main' } }, changeFilter: { codebase: ['lib', 'bindings'] } }),
        m.schedulers.anyBranch({ name: 'app', builderNames: ['app'], changeFilter: { codebase: 'app' } }),
      ],
      builders: [
        m.builder({ name: 'combined', workerNames: ['w0'], collapseRequests: false, steps: [
          m.steps.git({ repourl: v.lib, codebase: 'lib', workdir: 'lib', mode: 'full', method: 'clobber' }),
          m.steps.git({ repourl: v.bindings, codebase: 'bindings', workdir: 'bindings', mode: 'full', method: 'clobber' }),
          m.steps.shell({ name: 'check', workdir: 'bindings', command: ['sh', '-c', 'cat bind.txt && sh ../lib/check.sh'], haltOnFailure: true }),
        ] }),
        m.builder({ name: 'app', workerNames: ['w0'], steps: [
          m.steps.git({ repourl: v.app, codebase: 'app', mode: 'full', method: 'clobber' }),
          m.steps.shell({ name: 'run', command: ['sh', 'app.sh'] }),
        ] }),
      ],
    }));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(() => (master.output.match(/recorded the initial branch heads/g) ?? []).length >= 2, 'both git pollers to record their heads');
    await waitUntil(() => /mirror poll cycle done/.test(master.output), 'the first mirror cycle');
  });

  after(() => env.cleanup());

  const buildsOf = async (builder: string) => {
    const [b] = await master.get(['builders', builder]);
    const r = await master.call('get', { path: ['builders', b.builderid, 'builds'], spec: { properties: ['got_revision'] } });
    return (r.items as any[]).sort((x, y) => x.number - y.number);
  };
  const finished = (builder: string, n: number) => waitUntil(async () => { const b = await buildsOf(builder); return b.length >= n && b.slice(0, n).every((x) => x.complete) ? b : null; }, `${n} finished builds of ${builder}`, 60_000);

  it('builds bindings at its new head with lib pinned at the last known-good revision', async () => {
    const libGood = commit('lib', 'check.sh', 'echo lib v2; exit 0\n');
    let b = await finished('combined', 1);
    assert.equal(b[0].results, 0, master.output.slice(-3000));
    assert.deepEqual(b[0].properties.got_revision[0].lib, libGood);
    const libBroken = commit('lib', 'check.sh', 'echo lib broken; exit 1\n');
    b = await finished('combined', 2);
    assert.equal(b[1].results, 2, 'the broken lib fails the build');
    assert.equal(b[1].properties.got_revision[0].lib, libBroken);
    const bindingsHead = commit('bindings', 'bind.txt', 'bindings v2\n');
    b = await finished('combined', 3);
    assert.equal(b[2].results, 0, 'bindings built against the known-good lib');
    assert.deepEqual(b[2].properties.got_revision[0], { lib: libGood, bindings: bindingsHead });
  });

  it('turns a push to a mirrored repository into a build at that revision and reports the mirror status', async () => {
    const rev = commit('app', 'app.sh', 'echo app v2\n');
    const [build] = await finished('app', 1);
    assert.equal(build.results, 0);
    assert.deepEqual(build.properties.got_revision[0], { app: rev });
    const sources = await master.get(['changesources']);
    assert.deepEqual(sources.map((s) => [s.name, s.kind]), [['bindings', 'gitPoller'], ['lib', 'gitPoller'], ['mirrors', 'mirrorPoller']]);
    const mirror = sources.find((s) => s.kind === 'mirrorPoller').status;
    assert.ok(mirror.lastCycle.durationMs >= 0 && mirror.lastCycle.repositories === 2);
    const missing = mirror.repositories.find((r: any) => r.name === 'missing');
    assert.ok(missing.lastError, 'the failing repository has its error, and did not stop the cycle');
  });
});
