/**
 * Debian's unmodified buildbot-worker 3.7 created with its default protocol (PB) attaches to a
 * mastro master on the port msgpack workers use (with no `protocols.pb` in the config: PB shares it by default) and runs full builds:
 * a git step on a local repository, shell steps, a file and a directory upload, a file download
 * (checksums compared on the worker); a stopped build whose command dies; and the same worker
 * killed with SIGKILL mid-build gives RETRY and a re-run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, hasBuildbotWorker, waitUntil } from './support/master-harness.js';

const skip = !hasBuildbotWorker() ? 'Debian buildbot-worker is not installed (apt-get install buildbot-worker)' : false;

test('buildbot-worker speaking PB runs a git + shell + uploads + download build on the shared worker port', { skip, timeout: 180_000 }, async () => {
  const env = new TestEnv();
  try {
    const [repo, rev] = env.makeRepo({ 'test.sh': 'mkdir -p dist && echo all tests passed > report.txt && cp report.txt dist/ && echo bin > dist/tool\ncat report.txt\n' });
    const blob = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 31) % 256));
    writeFileSync(join(env.masterDir, 'blob.bin'), blob);
    const sum = createHash('sha256').update(blob).digest('hex');
    env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },  // PB shares this port by default
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  workers: [worker('w0', 'pass')],
  schedulers: [schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['test'] })],
  builders: [
    builder({ name: 'test', workerNames: ['w0'], collapseRequests: false, steps: [
      steps.git({ repourl: ${JSON.stringify('file://' + repo)}, mode: 'incremental' }),
      steps.shell({ command: ['sh', '-c', 'sh test.sh'], haltOnFailure: true }),
      steps.fileUpload({ workersrc: 'report.txt', masterdest: 'reports/report.txt' }),
      steps.directoryUpload({ workersrc: 'dist', masterdest: 'reports/dist' }),
      steps.fileDownload({ mastersrc: 'blob.bin', workerdest: 'in/blob.bin' }),
      steps.shell({ name: 'checksum', command: ['sh', '-c', 'echo "${sum}  in/blob.bin" | sha256sum -c -'], haltOnFailure: true }),
    ] }),
  ],
});
`);
    const master = await env.startMaster();
    const api = `http://127.0.0.1:${master.ready.httpPort}`;
    env.startWorker('w0', master.ready.workerPort, 'buildbot-worker-pb');
    await waitUntil(async () => {
      const r = await (await fetch(`${api}/api/v2/workers`)).json() as any;
      return r.workers?.some((w: any) => w.name === 'w0' && w.connected_to.length > 0);
    }, 'buildbot-worker (PB) to attach', 60_000);

    const form = new URLSearchParams({ author: 'dev <dev@example.com>', repository: 'file://' + repo, branch: 'main', revision: rev, comments: 'a change', project: '' });
    const hook = await fetch(`${api}/change_hook/base`, { method: 'POST', body: form });
    assert.ok(hook.status >= 200 && hook.status < 300, `change hook answered ${hook.status}: ${await hook.text()}`);
    const build = await waitUntil(async () => {
      const r = await (await fetch(`${api}/api/v2/builds`)).json() as any;
      return r.builds.find((b: any) => b.complete);
    }, 'the build to finish', 120_000);
    const steps = (await (await fetch(`${api}/api/v2/builds/${build.buildid}/steps`)).json() as any).steps;
    assert.equal(build.results, 0, `steps: ${JSON.stringify(steps.map((s: any) => [s.name, s.results, s.state_string]))}\n${master.output.slice(-3000)}`);
    assert.equal(steps.length, 7);
    assert.equal(readFileSync(join(env.masterDir, 'reports/report.txt'), 'utf8'), 'all tests passed\n');
    assert.equal(readFileSync(join(env.masterDir, 'reports/dist/tool'), 'utf8'), 'bin\n');
    const checksum = steps.find((s: any) => s.name === 'checksum');
    const logs = (await (await fetch(`${api}/api/v2/steps/${checksum.stepid}/logs`)).json() as any).logs;
    const stdio = await (await fetch(`${api}/api/v2/logs/${logs[0].logid}/raw`)).text();
    assert.match(stdio, /in\/blob\.bin: OK/);
    const props = (await (await fetch(`${api}/api/v2/builds/${build.buildid}?property=*`)).json() as any).builds[0].properties;
    assert.equal(props.revision[0], rev);
    assert.equal(props.got_revision[0], rev);
  } finally {
    await env.cleanup();
  }
});

function gatedPbConfig(markDir: string, releaseFile: string): string {
  const script = `touch ${markDir}/started-$BUILD; echo $$ > ${markDir}/pid-$BUILD; while [ ! -f ${releaseFile} ]; do sleep 0.05; done; echo released`;
  return `import { defineConfig, worker, builder, steps, util } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },  // PB shares this port by default
  www: null,
  workers: [worker('w0', 'pass')],
  builders: [
    builder({ name: 'slow', workerNames: ['w0'], collapseRequests: false, steps: [
      steps.shell({ name: 'wait', command: ['sh', '-c', ${JSON.stringify(script)}], env: { BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
    ] }),
  ],
});
`;
}

function running(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z'; } catch { return false; }
}

test('over PB a stopped build\'s command dies, and a worker killed mid-build gives RETRY and a re-run', { skip, timeout: 240_000 }, async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    env.writeConfig(gatedPbConfig(markDir, releaseFile));
    const master = await env.startMaster();
    let worker = env.startWorker('w0', master.ready.workerPort, 'buildbot-worker-pb');

    // 1. Stopped: the command is interrupted on the worker and the build ends CANCELLED.
    await master.submit(['slow']);
    await waitUntil(() => existsSync(join(markDir, 'pid-1')), 'build 1 to be running', 90_000);
    const pid1 = Number(readFileSync(join(markDir, 'pid-1'), 'utf8'));
    const [b1] = (await master.get(['builds'])).filter((b) => b.number === 1);
    await master.call('stopBuild', { buildid: b1.buildid, reason: 'stopped by the test' });
    const stopped = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 1 && b.complete), 'build 1 to end', 60_000);
    assert.equal(stopped.results, 6, 'CANCELLED');
    await waitUntil(() => !running(pid1), 'the stopped command to die on the worker', 30_000);

    // 2. Killed: SIGKILL to the worker mid-build; RETRY; the request runs again once it is back.
    const { brids } = await master.submit(['slow']);
    const brid = Object.values(brids)[0];
    await waitUntil(() => existsSync(join(markDir, 'started-2')), 'build 2 to be running', 60_000);
    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await gone;
    const killed = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 2 && b.complete), 'build 2 to end', 90_000);
    assert.equal(killed.results, 5, 'RETRY');
    writeFileSync(releaseFile, '');
    worker = env.startWorker('w0', master.ready.workerPort, 'buildbot-worker-pb');
    const retried = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 3 && b.complete), 'build 3 (the re-run) to finish', 120_000);
    assert.equal(retried.results, 0);
    assert.equal(retried.buildrequestid, brid);
  } finally {
    await env.cleanup();
  }
});
