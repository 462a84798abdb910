/**
 * `mastro try` end to end: a developer's clone with one unpushed commit and one uncommitted edit
 * sends its diff against the merge base to a real master's try scheduler; a real mastro-worker
 * checks out the base revision, applies the patch and runs the patched script; `--wait` follows
 * the build and exits 0.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, ROOT, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';

const CLI = join(ROOT, 'packages/master/src/cli.ts');

function mastro(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args, '-C', cwd], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('mastro try with a real patch', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let tryPort: number;
  let base: string;
  let clone: string;

  before(async () => {
    env = new TestEnv();
    const [repo, rev] = env.makeRepo({ 'test.sh': 'echo base version\n', 'data.bin': 'a\u0000b\n' });
    base = rev;
    tryPort = await freePort();
    env.writeConfig({ repo, tryPort }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: null,
      workers: [m.worker('w0', 'pass')],
      schedulers: [m.schedulers.tryUserpass({ name: 'try', builderNames: ['test'], port: v.tryPort, userpass: [['alice', 'pw']] })],
      builders: [m.builder({ name: 'test', workerNames: ['w0'], steps: [
        m.steps.git({ repourl: v.repo, mode: 'full', method: 'clobber' }),
        m.steps.shell({ name: 'run', command: ['sh', '-c', 'sh test.sh && od -c data.bin | head -1'], haltOnFailure: true }),
      ] })],
    }));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    clone = join(env.root, 'clone');
    env.git(env.root, 'clone', '-q', repo, clone);
    // One unpushed commit and one uncommitted edit: both are part of the try patch.
    writeFileSync(join(clone, 'test.sh'), 'echo patched by try\n');
    env.git(clone, 'commit', '-q', '-am', 'local work');
    writeFileSync(join(clone, 'data.bin'), 'x\u0000y\n');
  });

  after(() => env.cleanup());

  it('builds the base revision with the working tree diff applied and --wait reports success', async () => {
    const r = await mastro(['try', '--master', `http://127.0.0.1:${tryPort}`, '-u', 'alice', '--password', 'pw', '--wait', '--timeout', '120', '-m', 'my change'], clone);
    assert.equal(r.code, 0, `mastro try failed:\n${r.stdout}\n${r.stderr}\n${master.output.slice(-3000)}`);
    assert.match(r.stdout, /try job submitted: buildset \d+ on test \(base [0-9a-f]{12}/);
    assert.match(r.stdout, /test: success/);
    const [build] = await master.get(['builds']);
    const steps = await master.get(['builds', build.buildid, 'steps']);
    const logs = await master.get(['steps', steps[2].stepid, 'logs']); // 0 is worker_preparation, 1 git
    const out = JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] }));
    assert.match(out, /patched by try/);
    assert.match(out, /x +\\\\0 +y/, 'the binary file was patched too');
    const { item } = await master.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
    assert.equal(item.properties.owner[0], 'alice');
    const ss = await master.get(['sourcestamps']);
    assert.equal(ss[0].revision, base, 'the build used the merge base as its revision');
    assert.ok(ss[0].patch, 'the sourcestamp carries the patch');
  });

  it('refuses a wrong password with a clear message and exit code 1', async () => {
    const r = await mastro(['try', '--master', `127.0.0.1:${tryPort}`, '-u', 'alice', '--password', 'nope'], clone);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the job \(HTTP 401\): wrong username or password/);
    await waitUntil(async () => (await master.get(['buildsets'])).length === 1, 'nothing new scheduled', 2000);
  });
});
