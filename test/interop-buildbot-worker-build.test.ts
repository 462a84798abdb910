/**
 * Debian's unmodified buildbot-worker 3.7 runs a full build on a mastro master configured like the
 * PRODUCT.md example: a git step on a local repository, a shell step and a file upload, triggered
 * by a change posted to /change_hook/base and visible through /api/v2/builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, hasBuildbotWorker, waitUntil } from './support/master-harness.js';

const skip = !hasBuildbotWorker() ? 'Debian buildbot-worker is not installed (apt-get install buildbot-worker)'
  : !existsSync(new URL('../packages/master/src/www/index.ts', import.meta.url)) ? 'the HTTP server (src/www) is not there yet' : false;

test('buildbot-worker 3.7 runs a git + shell + upload build triggered through /change_hook/base', { skip, timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    const [repo, rev] = env.makeRepo({ 'test.sh': 'echo all tests passed > report.txt\ncat report.txt\n' });
    env.writeConfig({ repourl: 'file://' + repo }, (m, v) => m.defineConfig({
      title: 'Demo',
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
      workers: [m.worker('w0', 'pass', { maxBuilds: 4 }), m.worker('w1', 'pass')],
      schedulers: [
        m.schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['test'] }),
        m.schedulers.force({ name: 'force', builderNames: ['test'] }),
      ],
      builders: [
        m.builder({ name: 'test', workerNames: ['w0', 'w1'], collapseRequests: false, steps: [
          m.steps.git({ repourl: v.repourl, mode: 'incremental' }),
          m.steps.shell({ command: ['sh', '-c', 'sh test.sh'], haltOnFailure: true }),
          m.steps.fileUpload({ workersrc: 'report.txt', masterdest: 'reports/report.txt' }),
        ] }),
      ],
    }));
    const master = await env.startMaster();
    const api = `http://127.0.0.1:${master.ready.httpPort}`;
    env.startWorker('w0', master.ready.workerPort, 'buildbot-worker');
    await waitUntil(async () => {
      const r = await (await fetch(`${api}/api/v2/workers`)).json() as any;
      return r.workers?.some((w: any) => w.name === 'w0' && w.connected_to.length > 0);
    }, 'buildbot-worker to attach', 60_000);

    const form = new URLSearchParams({ author: 'dev <dev@example.com>', repository: 'file://' + repo, branch: 'main', revision: rev, comments: 'a change', project: '' });
    const hook = await fetch(`${api}/change_hook/base`, { method: 'POST', body: form });
    assert.ok(hook.status >= 200 && hook.status < 300, `change hook answered ${hook.status}: ${await hook.text()}`);

    const build = await waitUntil(async () => {
      const r = await (await fetch(`${api}/api/v2/builds`)).json() as any;
      return r.builds.find((b: any) => b.complete);
    }, 'the build to finish', 90_000);
    const steps = (await (await fetch(`${api}/api/v2/builds/${build.buildid}/steps`)).json() as any).steps;
    assert.equal(build.results, 0, `steps: ${JSON.stringify(steps.map((s: any) => [s.name, s.results, s.state_string]))}\n${master.output.slice(-3000)}`);
    assert.deepEqual(steps.map((s: any) => s.name).slice(0, 1), ['worker_preparation']);
    assert.equal(steps.length, 4);
    assert.equal(readFileSync(join(env.masterDir, 'reports/report.txt'), 'utf8'), 'all tests passed\n');
    const props = (await (await fetch(`${api}/api/v2/builds/${build.buildid}?property=*`)).json() as any).builds[0].properties;
    assert.equal(props.revision[0], rev);
    assert.equal(props.scheduler[0], 'all');
  } finally {
    await env.cleanup();
  }
});
