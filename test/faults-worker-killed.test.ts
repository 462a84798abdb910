/**
 * A worker killed (SIGKILL) in the middle of a build: the build ends RETRY, its request is
 * unclaimed and runs again when the worker comes back, and nothing is lost; the commands it ran die
 * with it, and a restarted worker runs nothing of its previous life alongside the retry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, gatedConfig, waitUntil } from './support/master-harness.js';
import { descendants, processRunning } from './support/process-tree.js';
import { configSource } from './support/config.js';

test('a worker killed mid-build: the build ends RETRY and its request runs again', async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    env.writeConfig(gatedConfig({ dbUrl: 'sqlite:state.sqlite', workerPort: 0, markDir, releaseFile }));
    const master = await env.startMaster();
    const worker = env.startWorker('w0', master.ready.workerPort);
    const { brids } = await master.submit(['slow']);
    const brid = Object.values(brids)[0];
    await waitUntil(() => existsSync(join(markDir, 'started-1')), 'build 1 to be running');

    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await gone;
    const first = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 1 && b.complete), 'build 1 to end');
    assert.equal(first.results, 5, 'RETRY');
    const [pending] = await master.get(['buildrequests', brid]);
    assert.equal(pending.complete, false, 'the request waits to run again');
    assert.equal(pending.claimed, false);

    writeFileSync(releaseFile, '');
    env.startWorker('w0', master.ready.workerPort);
    const second = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 2 && b.complete), 'build 2 to finish', 60_000);
    assert.equal(second.results, 0);
    assert.equal(second.buildrequestid, brid);
    const [done] = await master.get(['buildrequests', brid]);
    assert.equal(done.complete, true);
    assert.equal(done.results, 0);
  } finally {
    await env.cleanup();
  }
});

/**
 * Builder `orphan`: build 1 writes the pids of its shell (the leader of the command's process group)
 * and of a background subshell into `markDir`, and both append to a file in the build directory until
 * killed. A later build (the retry) records which of those still run when it starts.
 */
function orphanConfig(o: { workerPort: number; markDir: string; ignoreTerm: boolean }): string {
  const running = (p: string) => `[ -r /proc/${p}/stat ] && [ "$(cut -d' ' -f3 /proc/${p}/stat)" != Z ]`;
  const script = `
if [ "$BUILD" = 1 ]; then
  ${o.ignoreTerm ? "trap '' TERM" : ':'}
  echo $$ > ${o.markDir}/command.pid
  (while :; do echo grandchild >> ticks.txt; sleep 0.1; done) &
  echo $! > ${o.markDir}/grandchild.pid
  touch ${o.markDir}/started-1
  while :; do echo command >> ticks.txt; sleep 0.1; done
fi
for f in command grandchild; do p=$(cat ${o.markDir}/$f.pid); if ${running('$p')}; then echo "$f $p" >> ${o.markDir}/alive-at-retry; fi; done
touch ${o.markDir}/checked-$BUILD`;
  return configSource({ workerPort: o.workerPort, script }, (m, v) => m.defineConfig({
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: v.workerPort } },
    www: null,
    workers: [m.worker('w0', 'pass')],
    builders: [
      m.builder({ name: 'orphan', workerNames: ['w0'], collapseRequests: false, steps: [
        m.steps.shell({ name: 'run', command: ['sh', '-c', v.script], env: { BUILD: m.util.Interpolate('%(prop:buildnumber)s') } }),
      ] }),
    ],
  }));
}

const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());
const commandLine = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; } };

/** SIGKILLs what a failed run may have left (the command's process group). */
function killLeftovers(markDir: string): void {
  for (const f of ['command.pid', 'grandchild.pid']) {
    if (!existsSync(join(markDir, f))) continue;
    const pid = pidIn(join(markDir, f));
    try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
}

/** Starts master, worker and build 1 of `orphan`; resolves once its command and background child run. */
async function runOrphanBuild(env: TestEnv, markDir: string, ignoreTerm: boolean) {
  mkdirSync(markDir);
  env.writeConfig(orphanConfig({ workerPort: 0, markDir, ignoreTerm }));
  const master = await env.startMaster();
  const worker = env.startWorker('w0', master.ready.workerPort);
  const { brids } = await master.submit(['orphan']);
  await waitUntil(() => existsSync(join(markDir, 'started-1')), 'build 1 to be running');
  const command = pidIn(join(markDir, 'command.pid'));
  const grandchild = pidIn(join(markDir, 'grandchild.pid'));
  const ticks = join(env.workerDir('w0'), 'orphan', 'build', 'ticks.txt');
  await waitUntil(() => existsSync(ticks), 'the command to write into its build directory');
  assert.ok(processRunning(command) && processRunning(grandchild));
  return { master, worker, brid: Object.values(brids)[0], command, grandchild };
}

test('a worker killed with SIGKILL takes its running command and the command\'s children with it within seconds', async () => {
  const env = new TestEnv();
  const markDir = join(env.root, 'marks');
  try {
    const { worker, command, grandchild } = await runOrphanBuild(env, markDir, false);
    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await gone;
    // The worker is never restarted: only what watched it can end its commands.
    await waitUntil(() => !processRunning(command) && !processRunning(grandchild), 'the command and its child to end after the worker died', 10_000);
  } finally {
    killLeftovers(markDir);
    await env.cleanup();
  }
});

test('a worker restarted at once after SIGKILL ends the commands of its previous life before the retry starts', async () => {
  const env = new TestEnv();
  const markDir = join(env.root, 'marks');
  try {
    // The command ignores SIGTERM, so nothing of it ends before a SIGKILL.
    const { master, worker, brid, command, grandchild } = await runOrphanBuild(env, markDir, true);
    // Its watchdog dies with it (as with a kill of everything the worker started), so only the
    // restarted worker can end the old command.
    const watchdogs = descendants(worker.pid!).filter((p) => commandLine(p).includes('mastro-worker-watchdog'));
    assert.equal(watchdogs.length, 1, 'the worker runs one watchdog');

    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    for (const p of watchdogs) process.kill(p, 'SIGKILL');
    await gone;
    assert.ok(processRunning(command) && processRunning(grandchild), 'the old command outlived its worker and watchdog');
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(() => existsSync(join(markDir, 'checked-2')), 'the retry build to start', 60_000);
    const alive = existsSync(join(markDir, 'alive-at-retry')) ? readFileSync(join(markDir, 'alive-at-retry'), 'utf8') : '';
    assert.equal(alive, '', 'no process of the previous life runs when the retry starts');
    assert.ok(!processRunning(command) && !processRunning(grandchild));
    const retry = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 2 && b.complete), 'build 2 to finish');
    assert.equal(retry.results, 0);
    assert.equal(retry.buildrequestid, brid);
  } finally {
    killLeftovers(markDir);
    await env.cleanup();
  }
});
