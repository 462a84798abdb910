/**
 * A worker that sends a broken archive during `steps.directoryUpload` fails that step only: a real
 * master process, a crafted worker speaking msgpack over WebSocket that sends each kind of bad tar
 * (bad checksum, non-octal size, noise, a gzip of a bad tar, an oversized PAX header, a corrupt
 * gzip stream, a cut archive), and a real mastro-worker running another build meanwhile. The master
 * must stay up, each upload build must fail with the reason in its step's log, the other build must
 * end SUCCESS, and neither the spool file nor any extracted file may stay behind.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { connectFakeWorker, type FakeWorker } from '../packages/master/test/support/workers-fake-worker.js';
import { badArchives, type BadArchive } from '../packages/master/test/support/bad-tars.js';

const Results = { SUCCESS: 0, FAILURE: 2, EXCEPTION: 4 } as const;

function config(markFile: string, releaseFile: string): string {
  const wait = `touch ${markFile}; while [ ! -f ${releaseFile} ]; do sleep 0.05; done; echo released`;
  return `import { defineConfig, worker, builder, steps, util } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: null,
  workers: [worker('good', 'pass'), worker('evil', 'pass')],
  builders: [
    builder({ name: 'slow', workerNames: ['good'], steps: [
      steps.shell({ name: 'wait', command: ['sh', '-c', ${JSON.stringify(wait)}] }),
    ] }),
    builder({ name: 'upload', workerNames: ['evil'], collapseRequests: false, steps: [
      steps.directoryUpload({ workersrc: 'out', masterdest: util.Interpolate('uploaded/%(prop:buildnumber)s') }),
    ] }),
  ],
});
`;
}

describe('directoryUpload of a malformed archive from a crafted worker, next to a build on another worker', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let evil: FakeWorker;
  let spoolDir: string;
  let releaseFile: string;
  let slowBrid: number;
  let sending: BadArchive | null = null;

  /** `p`, or a failure with the master's output as soon as the master process dies. */
  const whileAlive = <T>(p: Promise<T>): Promise<T> => Promise.race([
    p,
    master.exited.then(({ code, signal }) => { throw new Error(`the master died (code ${code}, signal ${signal}):\n${master.output.slice(-4000)}`); }),
  ]);

  before(async () => {
    env = new TestEnv();
    spoolDir = join(env.root, 'tmp');
    mkdirSync(spoolDir);
    const markFile = join(env.root, 'slow-started');
    releaseFile = join(env.root, 'release');
    env.writeConfig(config(markFile, releaseFile));
    // The spool files of directory uploads go to the OS temp dir: here one this test can watch.
    master = await env.startMaster({ TMPDIR: spoolDir });
    env.startWorker('good', master.ready.workerPort);
    const { brids } = await master.submit(['slow']);
    slowBrid = Object.values(brids)[0]!;
    await waitUntil(() => existsSync(markFile), 'the slow build to start on the good worker', 60_000);

    evil = await connectFakeWorker({
      url: `ws://127.0.0.1:${master.ready.workerPort}`, name: 'evil', password: 'pass', basedir: join(env.root, 'evil'),
      onCommand: async (command, _args, ctl) => {
        if (command !== 'upload_directory') {
          if (command === 'listdir') await ctl.update([['files', []]]);
          await ctl.update([['rc', 0]]);
          await ctl.complete(null);
          return;
        }
        // As Buildbot's worker does: blocks of the archive, then unpack; a refused unpack is rc 1.
        try {
          const data = sending!.data;
          for (let i = 0; i < data.length; i += 1024) await ctl.request('update_upload_directory_write', { args: data.subarray(i, i + 1024) });
          await ctl.request('update_upload_directory_unpack', {});
          await ctl.update([['rc', 0]]);
          await ctl.complete(null);
        } catch (err) {
          await ctl.update([['rc', 1]]);
          await ctl.complete(`upload failed: ${(err as Error).message}`);
        }
      },
    });
  });

  after(async () => {
    await evil?.close();
    await env?.cleanup();
  });

  for (const bad of badArchives()) {
    it(`fails only the upload step for ${bad.kind}, names the reason in its log and leaves nothing behind`, async () => {
      sending = bad;
      const { brids } = await whileAlive(master.submit(['upload']));
      const brid = Object.values(brids)[0];
      const build = await whileAlive(waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === brid && b.complete),
        `the upload build for ${bad.kind}`, 60_000));
      const steps = await master.get(['builds', build.buildid, 'steps']);
      const upload = steps.find((s) => s.name === 'upload');
      assert.ok(upload, JSON.stringify(steps));
      assert.ok(build.results === Results.FAILURE || build.results === Results.EXCEPTION, `build result ${build.results}`);
      assert.ok(upload.results === Results.FAILURE || upload.results === Results.EXCEPTION, `step result ${upload.results}`);

      const logs = await master.get(['steps', upload.stepid, 'logs']);
      const texts = await Promise.all(logs.map(async (l) => JSON.stringify(await master.call('get', { path: ['logs', l.logid, 'contents'] }))));
      assert.match(texts.join('\n'), bad.reason, `the step's logs give the reason: ${texts.join('\n')}`);

      assert.deepEqual(readdirSync(spoolDir).filter((f) => f.startsWith('mastro-dirupload-')), [], 'the spool file is gone');
      const dest = join(env.masterDir, 'uploaded', String(build.number));
      assert.equal(existsSync(dest), false, `nothing was left in masterdest: ${existsSync(dest) ? readdirSync(dest).join(', ') : ''}`);
    });
  }

  it('keeps the master and the other build running: the slow build ends SUCCESS', async () => {
    assert.equal(master.proc.exitCode, null, 'the master process is still running');
    writeFileSync(releaseFile, '');
    const slow = await whileAlive(waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === slowBrid && b.complete),
      'the slow build to finish', 60_000));
    assert.equal(slow.results, Results.SUCCESS);
    assert.doesNotMatch(master.output, /uncaught|unhandled/i);
  });
});
