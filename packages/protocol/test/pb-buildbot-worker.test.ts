/**
 * Debian's unmodified `buildbot-worker` 3.7, created without `--protocol` (so it speaks PB, as every
 * Buildbot worker does by default), logs into a PB server made of our broker and cred, and is driven
 * the way Buildbot's master drives it: getWorkerInfo, getCommands, print, setBuilderList,
 * startCommand (a shell `echo hi`, and a command it does not know), with the output and exit code
 * coming back through the worker's update/complete calls on the command object we lend it; its
 * keepalives reach the perspective; shutdown makes it exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/pb/broker.js';
import { md5Digest, portalRoot } from '../src/pb/cred.js';
import { PbRemoteError } from '../src/pb/errors.js';
import { PbFailure } from '../src/pb/failure.js';
import { Referenceable, RemoteReference } from '../src/pb/referenceable.js';
import { pbServer } from './support/pb-pair.js';
import { createBuildbotWorker, startBuildbotWorker } from '../../../test/support/workers-buildbot-worker.js';

interface Attached { mind: RemoteReference; broker: Broker; keepalives: () => number }

async function until(cond: () => boolean, what: string, log?: () => Promise<string>): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 6000) throw new Error(`timed out waiting for ${what}${log ? `\n${await log()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A command object as Buildbot's master lends it (RemoteCommand: remote_update, remote_complete). */
function commandRecorder() {
  const updates: Record<string, unknown>[] = [];
  let completed: { failure: unknown } | null = null;
  const ref = new Referenceable({
    update: ({ args: [list] }) => {
      // Each update is [{key: value}, 0]: the 0 is the old update number masters still expect.
      for (const [dict, n] of list as [Record<string, unknown>, number][]) { assert.equal(n, 0); updates.push(dict); }
      return null;
    },
    complete: ({ args: [failure] }) => { completed = { failure: failure ?? null }; return null; },
  }, 'RemoteCommand');
  return { ref, updates, done: () => completed };
}

test('buildbot-worker 3.7 speaking PB logs in, runs a shell command for us, keeps alive and shuts down', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-pb-worker-'));
  const attached: Attached[] = [];
  let shutdownCalls = 0;
  let keepalives = 0;
  const srv = await pbServer((socket) => {
    const broker = new Broker(socket, { role: 'server', label: 'buildbot-worker' });
    broker.setNamedObject('root', portalRoot({
      passwordDigest: (user) => (user === 'w1' ? md5Digest('pass') : null),
      perspective: (_user, mind) => {
        assert.ok(mind, 'the worker lends its bot as the mind');
        attached.push({ mind, broker, keepalives: () => keepalives });
        return new Referenceable({
          keepalive: () => { keepalives++; return null; },
          shutdown: () => { shutdownCalls++; return null; },
        }, 'worker perspective');
      },
    }, socket.remoteAddress ?? 'unknown'));
    return broker;
  });
  const basedir = join(dir, 'worker');
  createBuildbotWorker(basedir, `127.0.0.1:${srv.port}`, 'w1', 'pass', { protocol: 'pb', keepalive: 1 });
  const worker = startBuildbotWorker(basedir);
  try {
    await until(() => attached.length === 1, 'the worker to log in', worker.log);
    const { mind, broker } = attached[0]!;

    const info = await mind.callRemote('getWorkerInfo') as Record<string, unknown>;
    assert.equal(info.system, 'posix');
    assert.equal(info.basedir, basedir);
    assert.match(String(info.version), /^3\.7/);
    assert.ok(typeof info.numcpus === 'number' && info.numcpus >= 1);
    assert.equal(typeof (info.environ as Record<string, unknown>).PATH, 'string');
    assert.ok('shell' in (info.worker_commands as object) && 'uploadFile' in (info.worker_commands as object));
    const commands = await mind.callRemote('getCommands') as Record<string, string>;
    assert.ok(commands.shell && commands.downloadFile, JSON.stringify(commands));

    assert.equal(await mind.callRemoteWith('print', [], { kwargs: { message: 'attached' } }), null);
    const builders = await mind.callRemote('setBuilderList', [['b1', 'b1dir']]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(builders), ['b1']);
    const b1 = builders.b1 as RemoteReference;
    assert.ok(b1 instanceof RemoteReference);
    assert.equal(await b1.callRemote('startBuild'), null);

    const lentBefore = broker.lentCount;
    const cmd = commandRecorder();
    assert.equal(await b1.callRemote('startCommand', cmd.ref, 'c1', 'shell', {
      command: ['echo', 'hi'], workdir: 'build', env: { MASTRO_PB: 'yes' }, want_stdout: 1, want_stderr: 1,
      logfiles: {}, timeout: 120, maxTime: null, sigtermTime: null, usePTY: false, logEnviron: true,
    }), null);
    await until(() => cmd.done() !== null, 'the command to complete', worker.log);
    assert.equal(cmd.done()!.failure, null);
    const stdout = cmd.updates.filter((u) => 'stdout' in u).map((u) => u.stdout).join('');
    assert.equal(stdout, 'hi\n');
    assert.deepEqual(cmd.updates.filter((u) => 'rc' in u), [{ rc: 0 }]);
    const header = cmd.updates.filter((u) => 'header' in u).map((u) => u.header).join('');
    assert.match(header, /echo hi/);
    assert.match(header, new RegExp(`in dir ${join(basedir, 'b1dir', 'build').replace(/\//g, '\\/')}`));
    assert.match(header, /MASTRO_PB=yes/);
    assert.ok(cmd.updates.some((u) => typeof u.elapsed === 'number'));
    // The worker drops the command object once done: its decref reaches our table.
    await until(() => broker.lentCount === lentBefore, 'the worker to release the command object', worker.log);

    await assert.rejects(b1.callRemote('startCommand', commandRecorder().ref, 'c2', 'nope', {}),
      (err: unknown) => err instanceof PbRemoteError && /unrecognized WorkerCommand 'nope'/.test(err.failure.value));

    // A command that fails inside the worker (here: an upload whose writer is not a reference)
    // completes with a CopyableFailure carrying the traceback, which the allow-list accepts.
    const broken = commandRecorder();
    await b1.callRemote('startCommand', broken.ref, 'c3', 'uploadFile', { workdir: 'build', workersrc: 'f', writer: 'not a writer', maxsize: null, blocksize: 16384, keepstamp: false });
    await until(() => broken.done() !== null, 'the broken command to complete', worker.log);
    const failure = broken.done()!.failure;
    assert.ok(failure instanceof PbFailure, `complete() carried ${String(failure)}`);
    assert.equal(failure.type, 'builtins.AttributeError');
    assert.match(failure.traceback, /buildbot_worker\/commands\/transfer\.py/);
    assert.deepEqual(broken.updates.filter((u) => 'rc' in u), [{ rc: 1 }]);

    await until(() => keepalives >= 1, 'a keepalive from the worker', worker.log);

    const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));
    await mind.callRemote('shutdown').catch(() => null);
    assert.equal(await exited, 0);
    await broker.closed;
    assert.match(await worker.log(), /message from master: attached/);
    assert.equal(shutdownCalls, 0, 'the worker did not ask to shut down by itself');
  } catch (err) {
    (err as Error).message += `\n--- worker log ---\n${await worker.log()}`;
    throw err;
  } finally {
    await worker.stop();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('buildbot-worker with a wrong password reads the refusal as UnauthorizedLogin and keeps retrying instead of exiting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-pb-worker-'));
  let failures = 0;
  const srv = await pbServer((socket) => {
    const broker = new Broker(socket, { role: 'server' });
    broker.setNamedObject('root', portalRoot({
      passwordDigest: (user) => (user === 'w1' ? md5Digest('pass') : null),
      perspective: () => assert.fail('a wrong password must not log in'),
      limiter: { retryAfterMs: () => 0, recordFailure: () => { failures++; }, refund: () => assert.fail('nothing to refund') },
    }, socket.remoteAddress ?? 'unknown'));
    return broker;
  });
  const basedir = join(dir, 'worker');
  createBuildbotWorker(basedir, `127.0.0.1:${srv.port}`, 'w1', 'wrong', { protocol: 'pb' });
  const worker = startBuildbotWorker(basedir);
  try {
    await until(() => failures >= 1, 'a failed login', worker.log);
    const log = async () => worker.log();
    for (let i = 0; !/unauthorized login; check worker name and password/.test(await log()); i++) {
      if (i > 3000) assert.fail(`no refusal in the worker log:\n${await log()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match(await log(), /Scheduling retry 1 to getPerspective/);
    assert.equal(worker.child.exitCode, null, 'the worker is still running, waiting to retry');
  } finally {
    await worker.stop();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
