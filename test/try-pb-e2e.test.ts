/**
 * Buildbot's own `buildbot try --connect=pb` (Debian's 3.7) against a real master's tryUserpass
 * scheduler, on the scheduler's port (which serves `mastro try` over HTTP too): a real diff against
 * a base revision runs a patched build on a real worker, with the builders, who, comment and
 * properties the client sends; `--wait` follows the build through Buildbot's status objects and
 * reports its result (exit 0 on success, 1 on a failure); `--get-builder-names` lists the
 * scheduler's builders; a wrong password, a base revision that is not a commit id and a builder the
 * scheduler does not have are refused with what went wrong.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, freePort, type MasterProcess } from './support/master-harness.js';

const skip = existsSync('/usr/bin/buildbot') ? false : 'Debian buildbot is not installed (apt-get install buildbot)';

function buildbotTry(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/buildbot', ['try', '--connect=pb', ...args], { cwd, timeout: 170_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Buildbot's try client prints the traceback of a refused login or job and then waits forever (its
 * reactor is never stopped on an error): wait for that output, then end it.
 */
function buildbotTryRefused(args: string[], cwd: string, refusal: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/buildbot', ['try', '--connect=pb', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const seen = (d: Buffer): void => {
      output += d.toString();
      if (refusal.test(output)) { child.kill('SIGKILL'); resolve(output); }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', () => (refusal.test(output) ? resolve(output) : reject(new Error(`buildbot try ended without ${refusal}:\n${output}`))));
  });
}

async function stepOutput(master: MasterProcess, buildid: number, stepIndex: number): Promise<string> {
  const steps = await master.get(['builds', buildid, 'steps']);
  const logs = await master.get(['steps', steps[stepIndex].stepid, 'logs']);
  return JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] }));
}

describe('buildbot try --connect=pb against a tryUserpass scheduler', { skip }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let tryPort: number;
  let base: string;
  let clone: string;
  let diffs: { good: string; bad: string };
  const login = () => ['--master', `127.0.0.1:${tryPort}`, '-u', 'alice', '--passwd', 'pw'];

  before(async () => {
    env = new TestEnv();
    const [repo, rev] = env.makeRepo({ 'test.sh': 'echo base version\n' });
    base = rev;
    tryPort = await freePort();
    env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: null,
  workers: [worker('w0', 'pass')],
  schedulers: [schedulers.tryUserpass({ name: 'try', builderNames: ['test', 'other'], port: ${tryPort}, userpass: [['alice', 'pw']] })],
  builders: ['test', 'other'].map((name) => builder({ name, workerNames: ['w0'], steps: [
    steps.git({ repourl: ${JSON.stringify(repo)}, mode: 'full', method: 'clobber' }),
    steps.shell({ name: 'run', command: ['sh', 'test.sh'], haltOnFailure: true }),
  ] })),
});
`);
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    clone = join(env.root, 'clone');
    env.git(env.root, 'clone', '-q', repo, clone);
    writeFileSync(join(clone, 'test.sh'), 'echo patched by buildbot try\n');
    diffs = { good: join(env.root, 'good.diff'), bad: join(env.root, 'bad.diff') };
    // env.git trims its output; a diff ends with a newline.
    writeFileSync(diffs.good, `${env.git(clone, 'diff')}\n`);
    writeFileSync(join(clone, 'test.sh'), 'echo about to fail; exit 3\n');
    writeFileSync(diffs.bad, `${env.git(clone, 'diff')}\n`);
  });

  after(() => env.cleanup());

  it('runs the patched build and --wait reports success', { timeout: 180_000 }, async () => {
    const r = await buildbotTry([...login(), '--diff', diffs.good, '-p', '1', '--baserev', base, '--builder', 'test', '--wait',
      '--who', 'Alice <alice@example.org>', '--comment', 'my change', '--property', 'color=blue'], clone);
    assert.equal(r.code, 0, `buildbot try failed:\n${r.output}\n${master.output.slice(-3000)}`);
    assert.match(r.output, /job has been delivered/);
    assert.match(r.output, /All Builds Complete/);
    assert.match(r.output, /test: success/);
    const [build] = await master.get(['builders', 'test', 'builds']);
    assert.match(await stepOutput(master, build.buildid, 2), /patched by buildbot try/, 'the worker ran the patched script');
    const { item } = await master.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
    assert.deepEqual([item.properties.owner?.[0], item.properties.color?.[0]], ['Alice <alice@example.org>', 'blue']);
    const [bs] = await master.get(['buildsets']);
    assert.equal(bs.reason, "'try' job by user Alice <alice@example.org> (my change)");
    const ss = await master.get(['sourcestamps']);
    assert.equal(ss[0].revision, base, 'built at the base revision');
    assert.equal(ss[0].patch.level, 1);
  });

  it('--wait reports a failed patched build and exits 1', { timeout: 180_000 }, async () => {
    const r = await buildbotTry([...login(), '--diff', diffs.bad, '-p', '1', '--baserev', base, '--builder', 'test', '--wait'], clone);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /All Builds Complete/);
    assert.match(r.output, /test: failure \(failed 'sh test\.sh'/, 'the patched script failed, not the checkout');
  });

  it('without --builder the job runs on every builder of the scheduler; --get-builder-names lists them', { timeout: 180_000 }, async () => {
    const names = await buildbotTry([...login(), '--get-builder-names'], clone);
    assert.equal(names.code, 0, names.output);
    assert.match(names.output, /The following builders are available for the try scheduler: \s*test\s+other/);
    const r = await buildbotTry([...login(), '--diff', diffs.good, '-p', '1', '--baserev', base, '--wait', '--quiet'], clone);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /other: success/);
    assert.match(r.output, /test: success/);
  });

  it('a wrong password, a base revision that is not a commit id and a builder the scheduler does not have are refused', { timeout: 180_000 }, async () => {
    const before = (await master.get(['buildsets'])).length;
    const wrong = await buildbotTryRefused(['--master', `127.0.0.1:${tryPort}`, '-u', 'alice', '--passwd', 'nope', '--diff', diffs.good, '-p', '1', '--wait'], clone,
      /RemoteError: login refused for alice: unknown user name or wrong password/);
    assert.doesNotMatch(wrong, /job has been delivered/);
    const badRevision = await buildbotTryRefused([...login(), '--diff', diffs.good, '-p', '1', '--baserev', '--upload-pack=touch', '--wait'], clone,
      /RemoteError: .*the base revision must be a commit id, got "--upload-pack=touch"; give buildbot try --baserev a commit id/);
    assert.doesNotMatch(badRevision, /job has been delivered/);
    const unknown = await buildbotTry([...login(), '--diff', diffs.good, '-p', '1', '--baserev', base, '--builder', 'nope', '--wait'], clone);
    assert.match(unknown.output, /try scheduler on the master does not have the builder configured/);
    assert.match(master.output, /try job refused: nope is not a builder of try scheduler 'try' \(test, other\)/);
    assert.equal((await master.get(['buildsets'])).length, before, 'nothing was queued');
  });
});
