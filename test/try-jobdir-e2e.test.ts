/**
 * The Buildbot ssh try path and nightlyTriggerable on a real master with a real mastro-worker:
 *  - a job file written by Debian Buildbot 3.7's try client code, piped into `mastro tryserver`,
 *    becomes a build of the base revision with the patch applied (tryJobdir, jobdir relative to
 *    the master directory);
 *  - `mastro try --connect=ssh` delivers through an ssh stand-in that runs the remote command
 *    locally through a shell, as sshd would;
 *  - a trigger step feeding a nightlyTriggerable: two triggers then the scheduled run (the harness's
 *    `runScheduler` op) give exactly one buildset with the last trigger's properties; a run without
 *    a trigger gives none; a recorded trigger survives a master restart.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, ROOT, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';

const CLI = join(ROOT, 'packages/master/src/cli.ts');
// What ssh runs on the "master host"; tsx by file URL so it loads from any working directory.
const MASTRO = `${process.execPath} --import ${new URL('node_modules/tsx/dist/loader.mjs', `file://${ROOT}`).href} ${CLI}`;
const hasBuildbot = existsSync('/usr/lib/python3/dist-packages/buildbot/clients/tryclient.py');

function mastro(args: string[], opts: { input?: Buffer; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: opts.cwd ?? ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

/** Buildbot 3.7's createJobfile for a patch (the format `buildbot try --connect=ssh` sends). */
function buildbotJobfile(o: { baserev: string; patch: Buffer; who: string; builders: string[]; properties: Record<string, string> }): Buffer {
  const script = `
import sys, json
from buildbot.clients import tryclient
a = json.loads(sys.argv[1])
job = tryclient.createJobfile('bb-job', '', a['baserev'], 1, bytes.fromhex(a['patch']), '', '', a['who'], 'from buildbot', a['builders'], a['properties'])
sys.stdout.buffer.write(job.encode('utf-8'))
`;
  return execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify({ ...o, patch: o.patch.toString('hex') })]);
}

async function finished(master: MasterProcess, builder: string, n: number): Promise<any[]> {
  return waitUntil(async () => {
    const [b] = await master.get(['builders', builder]);
    const builds = (await master.get(['builders', b.builderid, 'builds'])).filter((x) => x.complete);
    return builds.length >= n ? builds : null;
  }, `${n} finished builds of ${builder}`, 60_000);
}

/** The first log of step number `step` (0 is worker_preparation). */
async function logText(master: MasterProcess, buildid: number, step: number): Promise<string> {
  const steps = await master.get(['builds', buildid, 'steps']);
  const logs = await master.get(['steps', steps[step].stepid, 'logs']);
  return JSON.stringify(await master.call('get', { path: ['logs', logs[0].logid, 'contents'] }));
}

describe('tryJobdir and nightlyTriggerable on a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let repo: string;
  let base: string;
  let jobdir: string;

  before(async () => {
    env = new TestEnv();
    [repo, base] = env.makeRepo({ 'test.sh': 'echo base version\n' });
    jobdir = join(env.masterDir, 'jobs');
    // A fixed worker port, so the worker reconnects by itself after the master restarts.
    const workerPort = await freePort();
    env.writeConfig({ repo, workerPort }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: v.workerPort } },
      www: null,
      workers: [m.worker('w0', 'pass', { maxBuilds: 2 })],
      schedulers: [
        m.schedulers.tryJobdir({ name: 'try-ssh', builderNames: ['test'], jobdir: 'jobs' }),
        m.schedulers.nightlyTriggerable({ name: 'nt', builderNames: ['night'], hour: 3, properties: { flavour: 'plain' } }),
      ],
      builders: [
        m.builder({ name: 'test', workerNames: ['w0'], steps: [
          m.steps.git({ repourl: v.repo, mode: 'full', method: 'clobber' }),
          m.steps.shell({ name: 'run', command: ['sh', 'test.sh'], haltOnFailure: true }),
        ] }),
        m.builder({ name: 'parent', workerNames: ['w0'], collapseRequests: false, steps: [
          m.steps.trigger({ schedulerNames: ['nt'], waitForFinish: true, set_properties: { flavour: m.util.Interpolate('parent-%(prop:buildnumber)s') } }),
        ] }),
        m.builder({ name: 'night', workerNames: ['w0'], steps: [m.steps.shell({ name: 'hello', command: ['sh', '-c', m.util.Interpolate('echo night %(prop:flavour)s')] })] }),
      ],
    }));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
  });

  after(() => env.cleanup());

  it("a job file from Buildbot's try client, fed to mastro tryserver, builds the base revision with the patch applied", { skip: !hasBuildbot && 'Debian buildbot not installed' }, async () => {
    assert.ok(existsSync(join(jobdir, 'new')), 'the master created the jobdir under its directory');
    const patch = Buffer.from(`diff --git a/test.sh b/test.sh
--- a/test.sh
+++ b/test.sh
@@ -1 +1 @@
-echo base version
+echo patched by buildbot try
`);
    const file = buildbotJobfile({ baserev: base, patch, who: 'bob', builders: ['test'], properties: { ticket: 'T-1' } });
    const r = await mastro(['tryserver', '--jobdir', jobdir], { input: file });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job delivered as .*\/new\//);
    const [build] = await finished(master, 'test', 1);
    assert.equal(build.results, 0, master.output.slice(-3000));
    assert.match(await logText(master, build.buildid, 2), /patched by buildbot try/);
    const { item } = await master.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
    assert.deepEqual([item.properties.owner[0], item.properties.ticket[0]], ['bob', 'T-1']);
    assert.equal((await master.get(['buildsets'])).filter((b) => b.external_idstring === 'bb-job').length, 1, "the client's job id is the buildset's external_idstring");
    assert.deepEqual(readdirSync(join(jobdir, 'new')), []);
    assert.equal(readdirSync(join(jobdir, 'cur')).length, 1);
  });

  /** An ssh stand-in: drops options and the host, then runs the remote command line through a shell, as sshd does. */
  function fakeSsh(): string {
    const path = join(env.root, 'fake-ssh');
    writeFileSync(path, '#!/bin/sh\nwhile [ "$1" = -l ] || [ "$1" = -p ]; do shift 2; done\nshift\nexec sh -c "$*"\n');
    chmodSync(path, 0o755);
    return path;
  }

  it('mastro try --connect=ssh delivers the working tree diff through ssh and mastro tryserver', async () => {
    const clone = join(env.root, 'clone');
    env.git(env.root, 'clone', '-q', repo, clone);
    writeFileSync(join(clone, 'test.sh'), 'echo patched over ssh\n');
    const r = await mastro(['try', '--connect=ssh', '--host', 'ci.example.org', '-u', 'carol', '--jobdir', jobdir, '--ssh', fakeSsh(),
      '--buildbotbin', MASTRO, '-b', 'test', '--property', 'via=ssh', '-C', clone]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /try job \S+ delivered to ci\.example\.org:/);
    const builds = await finished(master, 'test', 2);
    const build = builds.at(-1)!;
    assert.equal(build.results, 0, master.output.slice(-3000));
    assert.match(await logText(master, build.buildid, 2), /patched over ssh/);
    const { item } = await master.call('get', { path: ['builds', build.buildid], spec: { properties: ['*'] } });
    assert.deepEqual([item.properties.owner[0], item.properties.via[0]], ['carol', 'ssh']);
  });

  it('buildbot try --connect=ssh (Debian Buildbot 3.7) with --buildbotbin=mastro gets its job built', { skip: !existsSync('/usr/bin/buildbot') && 'Debian buildbot not installed' }, async () => {
    const clone = join(env.root, 'bb-clone');
    env.git(env.root, 'clone', '-q', repo, clone);
    writeFileSync(join(clone, 'test.sh'), 'echo patched by buildbot try over ssh\n');
    const out = await new Promise<{ code: number; text: string }>((resolve) => {
      execFile('buildbot', ['try', '--connect=ssh', '--host=ci.example.org', `--jobdir=${jobdir}`, `--ssh=${fakeSsh()}`, `--buildbotbin=${MASTRO}`,
        '--vc=git', '--branch=main', '-b', 'test', '--who=erin'], { cwd: clone }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, text: stdout + stderr }));
    });
    assert.equal(out.code, 0, out.text);
    assert.match(out.text, /job has been delivered/);
    const builds = await finished(master, 'test', 3);
    const build = builds.at(-1)!;
    assert.equal(build.results, 0, master.output.slice(-3000));
    assert.match(await logText(master, build.buildid, 2), /patched by buildbot try over ssh/);
  });

  it('mastro tryserver refuses a directory that is not a jobdir, saying what to check', async () => {
    const r = await mastro(['tryserver', '--jobdir', join(env.root, 'nowhere')], { input: Buffer.from('1:6,2:{},') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nowhere\/tmp does not exist: is .* the jobdir of a tryJobdir scheduler\?/);
  });

  const nightBuildsets = async () => (await master.get(['buildsets'])).filter((b) => /NightlyTriggerable/.test(b.reason));

  it('two triggers, then the scheduled run: exactly one buildset, with the last trigger; a run without a trigger builds nothing', async () => {
    await master.submit(['parent'], { revision: 'a'.repeat(40) });
    await finished(master, 'parent', 1);
    await master.submit(['parent'], { revision: 'b'.repeat(40) });
    const parents = await finished(master, 'parent', 2);
    assert.deepEqual(parents.map((b) => b.results), [0, 0], 'the trigger step returns at once, successful');
    assert.equal((await nightBuildsets()).length, 0, 'triggers alone do not build');

    await master.call('runScheduler', { name: 'nt' });
    const sets = await nightBuildsets();
    assert.equal(sets.length, 1);
    const [night] = await finished(master, 'night', 1);
    const { item } = await master.call('get', { path: ['builds', night.buildid], spec: { properties: ['*'] } });
    assert.equal(item.properties.flavour[0], `parent-${parents[1].number}`, "the last trigger's properties");
    assert.equal(item.properties.scheduler[0], 'nt');
    const [ss] = sets[0].sourcestamps;
    assert.equal(ss.revision, 'b'.repeat(40), "the last trigger's SourceStamps");

    await master.call('runScheduler', { name: 'nt' });
    assert.equal((await nightBuildsets()).length, 1, 'not triggered since: nothing');
  });

  it('a recorded trigger survives a master restart', async () => {
    await master.submit(['parent'], { revision: 'c'.repeat(40) });
    await finished(master, 'parent', 3);
    master.proc.kill('SIGTERM');
    assert.equal((await master.exited).code, 0);
    master = await env.startMaster();
    await master.call('runScheduler', { name: 'nt' });
    const sets = await nightBuildsets();
    assert.equal(sets.length, 2);
    assert.equal(sets[1].sourcestamps[0].revision, 'c'.repeat(40));
    await finished(master, 'night', 2);
  });
});
