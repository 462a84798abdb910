/**
 * A worker that freezes mid-build (SIGSTOP: the TCP connection stays open, nothing is answered,
 * the way a hung host or a half-open connection behaves): the master's keepalive notices it, the
 * build ends RETRY; when the worker wakes up it stops the orphaned command, reconnects and runs
 * the request again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil } from './support/master-harness.js';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('a frozen worker is detected by the keepalive, its build ends RETRY, and after waking it kills the orphaned command and runs the request again', async () => {
  const env = new TestEnv();
  let frozen: number | null = null;
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    // Each build writes its shell's pid, then waits for the release file.
    const script = `echo $$ > ${markDir}/started-$BUILD; while [ ! -f ${releaseFile} ]; do sleep 0.05; done; echo released`;
    env.writeConfig({ script }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0, keepaliveIntervalMs: 300, keepaliveTimeoutMs: 2000 } },
      www: null,
      workers: [m.worker('w0', 'pass', { maxBuilds: 1 })],
      builders: [
        m.builder({ name: 'slow', workerNames: ['w0'], collapseRequests: false, steps: [
          m.steps.shell({ name: 'wait', command: ['sh', '-c', v.script], env: { BUILD: m.util.Interpolate('%(prop:buildnumber)s') } }),
        ] }),
      ],
    }));
    const master = await env.startMaster();
    const worker = env.startWorker('w0', master.ready.workerPort);
    const { brids } = await master.submit(['slow']);
    const brid = Object.values(brids)[0];
    const firstMark = join(markDir, 'started-1');
    await waitUntil(() => existsSync(firstMark) && readFileSync(firstMark, 'utf8').trim(), 'build 1 to be running');
    const orphan = Number(readFileSync(firstMark, 'utf8').trim());

    worker.kill('SIGSTOP');
    frozen = worker.pid!;
    const first = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 1 && b.complete), 'the keepalive to end build 1');
    assert.equal(first.results, 5, 'RETRY');
    assert.equal(alive(orphan), true, 'the orphaned shell still runs while its worker is frozen');

    worker.kill('SIGCONT');
    frozen = null;
    // On waking, the worker sees its connection is gone and stops the command nobody waits for.
    await waitUntil(() => !alive(orphan), 'the orphaned command of build 1 to be killed');
    // The rerun's build number is not fixed: a build may be started on the dying connection first
    // (it ends RETRY at once), so wait for any later build to be running.
    await waitUntil(() => readdirSync(markDir).some((f) => f !== 'started-1'), 'the request to run again on the reconnected worker');
    writeFileSync(releaseFile, '');
    const success = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.complete && b.results === 0), 'the rerun to finish');
    assert.equal(success.buildrequestid, brid);
    const others = (await master.get(['builds'])).filter((b) => b.buildid !== success.buildid);
    assert.deepEqual(others.map((b) => [b.buildrequestid, b.complete, b.results]), others.map(() => [brid, true, 5]), 'every other build of the request ended RETRY');
    const req = await waitUntil(async () => (await master.get(['buildrequests', brid])).find((r) => r.complete), 'the request to complete');
    assert.equal(req.results, 0);
  } finally {
    if (frozen) try { process.kill(frozen, 'SIGCONT'); } catch { /* gone */ }
    await env.cleanup();
  }
});
