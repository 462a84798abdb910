/**
 * latent.command end to end (issue 13): a real master process runs the user's start command when a
 * build waits for the latent worker (here it starts a real `mastro-worker` in the background, as a
 * cloud CLI would start a VM), the build runs on it, and the stop command ends it after
 * idleTimeout. The commands get the worker's name, password and the master's address in Buildbot's
 * latent-worker variables. A start command that fails pauses the provider, and the request's
 * pending reason quotes it. A master killed while an instance runs, and started again with the
 * latent worker removed from its config, stops that instance with the stop command it noted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from 'mastro-protocol/process-identity';
import { TestEnv, WORKER_CLI, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';

function config(o: { root: string; port: number; withCw: boolean }): string {
  const dir = `${o.root}/cmd-$WORKERNAME`;
  const start = `mkdir -p "${dir}"; env | grep -E '^(BUILDMASTER|BUILDMASTER_PORT|BUILDMASTER_PROTOCOL|WORKERNAME|MASTRO_MASTER)=' | sort > "${dir}.env"; ` +
    `nohup ${process.execPath} ${WORKER_CLI} start "${dir}" --foreground > "${dir}.log" 2>&1 & echo "started"; echo "pid-$!"`;
  const stop = 'pid=${MASTRO_INSTANCE_ID#pid-}; kill "$pid" 2>/dev/null; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; echo "$MASTRO_INSTANCE_ID $MASTRO_STOP_FAST" >> ' + `"${o.root}/stops"`;
  return `import { defineConfig, latent, builder, steps, util } from 'mastro';
export default defineConfig({
  title: 'latent command',
  masterName: 'command-e2e',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${o.port}, host: '127.0.0.1' } },
  www: null,
  workers: [
    ${o.withCw ? `latent({ name: 'cw', provider: latent.command({ start: ${JSON.stringify(start)}, stop: ${JSON.stringify(stop)} }), idleTimeout: 0 }),` : ''}
    latent({ name: 'flaky', provider: latent.command({ start: 'echo "no capacity in zone z1" >&2; exit 3', stop: 'true' }), failureBackoff: { initial: 60 } }),
  ],
  builders: [
    ${o.withCw ? `builder({ name: 'cmd', workerNames: ['cw'], steps: [
      steps.shell({ name: 'hello', command: 'echo "hello from $WORKERNAME"', env: { WORKERNAME: util.Interpolate('%(prop:workername)s') } }),
      steps.shell({ name: 'hold', command: ['sh', '-c', 'while [ ! -f ${o.root}/release ]; do sleep 0.05; done'] }),
    ] }),` : ''}
    builder({ name: 'flaky', workerNames: ['flaky'], steps: [steps.shell({ command: 'true' })] }),
  ],
});
`;
}

describe('latent.command: instances made by the user\'s own start and stop commands', { timeout: 300_000 }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let port: number;

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    port = await freePort();
    env.writeConfig(config({ root: env.root, port, withCw: true }));
    master = await env.startMaster();
  });

  after(async () => {
    // The instance the last test expects gone, in case an assertion failed before.
    const pid = instancePid();
    if (pid && processStartTime(pid) !== undefined) process.kill(pid, 'SIGKILL');
    await env.cleanup();
  });

  const instancePid = (): number | null => {
    try {
      const note = JSON.parse(readFileSync(join(env.masterDir, 'latent-instances', 'command', 'cw.json'), 'utf8')) as { id: string };
      return Number(note.id.replace(/^pid-/, ''));
    } catch { return null; }
  };
  const builds = async (name: string) => {
    const [b] = await master.get(['builders', name]);
    return master.get(['builders', b.builderid, 'builds']);
  };

  it('the start command starts the worker a build waits for, with the latent-worker variables; the stop command ends it after idleTimeout', async () => {
    writeFileSync(join(env.root, 'release'), '');
    await master.submit(['cmd']);
    const [build] = await waitUntil(async () => { const bs = await builds('cmd'); return bs[0]?.complete && bs; }, 'the build to finish', 120_000);
    assert.equal(build.results, 0);
    const told = readFileSync(join(env.root, 'cmd-cw.env'), 'utf8');
    assert.equal(told, `BUILDMASTER=127.0.0.1\nBUILDMASTER_PORT=${port}\nBUILDMASTER_PROTOCOL=msgpack_experimental_v7\nMASTRO_MASTER=command-e2e\nWORKERNAME=cw\n`);
    // The start command's last line names the instance; the stop command gets it (idleTimeout 0: at once).
    const stops = await waitUntil(() => existsSync(join(env.root, 'stops')) && readFileSync(join(env.root, 'stops'), 'utf8'), 'the stop command to run', 60_000);
    assert.match(stops, /^pid-\d+ 0\n$/);
    const [w] = await waitUntil(async () => { const ws = await master.get(['workers', 'cw']); return ws[0].latent.state === 'idle' && ws[0].connected_to.length === 0 && ws; }, 'cw to be idle');
    assert.equal(w.latent.provider, 'command');
  });

  it('a start command that fails pauses the provider, and the pending reason says what it said', async () => {
    await master.submit(['flaky']);
    const req = await waitUntil(async () => {
      const [b] = await master.get(['builders', 'flaky']);
      const r = (await master.get(['buildrequests'])).find((x) => x.builderid === b.builderid && !x.complete);
      return r?.pending_reason?.code === 'latent_provider_paused' && r;
    }, 'the request to say the provider is paused', 60_000);
    assert.match(req.pending_reason.message, /^latent worker flaky could not be started: the start command exited with status 3: no capacity in zone z1 \(1 failure in a row; trying again in \d+ s\)$/);
  });

  it('a master killed while an instance runs, started again without that latent worker, stops it with the noted stop command', async () => {
    rmSync(join(env.root, 'release'));
    rmSync(join(env.root, 'stops'));
    await master.submit(['cmd']);
    const pid = await waitUntil(async () => { const bs = await builds('cmd'); return bs.length === 2 && !bs[1].complete && instancePid(); }, 'the second build to run', 120_000);
    assert.notEqual(processStartTime(pid), undefined);
    await master.kill('SIGKILL');
    assert.notEqual(processStartTime(pid), undefined, 'the instance outlives the killed master');
    env.writeConfig(config({ root: env.root, port, withCw: false }));
    master = await env.startMaster();
    await waitUntil(() => processStartTime(pid) === undefined, 'the instance to be stopped', 60_000);
    assert.match(readFileSync(join(env.root, 'stops'), 'utf8'), new RegExp(`^pid-${pid} 1\\n$`));
    assert.equal(instancePid(), null, 'its note is gone');
  });
});
