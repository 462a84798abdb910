import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMasterPath } from '../src/steps/paths.js';
import { StepRefusedError } from '../src/steps/errors.js';
import { fileUpload } from '../src/steps/file-upload.js';
import { directoryUpload } from '../src/steps/directory-upload.js';
import { fileDownload } from '../src/steps/file-download.js';
import { stringDownload, jsonStringDownload } from '../src/steps/string-download.js';
import { Results } from '../src/model/results.js';
import { FakeRuntime } from './support/steps-fake-runtime.js';
import { gzipSync } from 'node:zlib';
import { tarOf } from './support/tar-of.js';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import type { ConnectedWorker } from '../src/workers/connected-worker.js';

let root: string;
let master: string;
let outside: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'mastro-steps-transfer-'));
  master = join(root, 'master');
  outside = join(root, 'outside');
  mkdirSync(join(master, 'public'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  writeFileSync(join(master, 'public', 'tool.sh'), '#!/bin/sh\necho hi\n');
  symlinkSync(outside, join(master, 'public', 'escape-dir'));
  symlinkSync(join(outside, 'secret.txt'), join(master, 'public', 'escape-file'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const refused = (code = 'path_escapes_root') => (e: unknown) => e instanceof StepRefusedError && e.code === code;

describe('master path checks', () => {
  it('resolves relative paths against the master directory', async () => {
    assert.equal(await resolveMasterPath('public/a/b.txt', { masterDir: master }, 'masterdest'), join(master, 'public/a/b.txt'));
    assert.equal(await resolveMasterPath(join(master, 'x'), { masterDir: master }, 'masterdest'), join(master, 'x'));
  });

  it('refuses .. and absolute paths that leave the allowed root, naming the option', async () => {
    await assert.rejects(resolveMasterPath('../outside/x', { masterDir: master }, 'masterdest'), refused());
    await assert.rejects(resolveMasterPath('/etc/passwd', { masterDir: master }, 'mastersrc'), /mastersrc "\/etc\/passwd" resolves outside/);
    await assert.rejects(resolveMasterPath('public/../../outside', { masterDir: master }, 'masterdest'), refused());
  });

  it('refuses symlinks that lead out, for existing files and for files not yet written below them', async () => {
    await assert.rejects(resolveMasterPath('public/escape-file', { masterDir: master }, 'mastersrc'), /through a symbolic link/);
    await assert.rejects(resolveMasterPath('public/escape-dir/new/file.bin', { masterDir: master }, 'masterdest'), refused());
  });

  it('confines paths to allowedRoot when one is given', async () => {
    await assert.rejects(resolveMasterPath('state.sqlite', { masterDir: master, allowedRoot: 'public' }, 'masterdest'), refused());
    assert.equal(await resolveMasterPath('public/ok', { masterDir: master, allowedRoot: 'public' }, 'masterdest'), join(master, 'public/ok'));
  });

  it('refuses empty paths and NUL bytes', async () => {
    await assert.rejects(resolveMasterPath('', { masterDir: master }, 'masterdest'), refused('path_empty'));
    await assert.rejects(resolveMasterPath('a\0b', { masterDir: master }, 'masterdest'), refused('path_invalid'));
  });
});

describe('transfer steps', () => {
  it('fileUpload sends the worker path and the checked master path, creating the master directory', async () => {
    const rt = new FakeRuntime({ masterDir: master, responder: (r) => (r.command === 'upload_file' ? { rc: 0, upload: Buffer.from('artifact') } : undefined) });
    const result = await fileUpload({ workersrc: 'out/app.tar', masterdest: 'public/builds/app.tar', mode: 0o644, maxsize: 1000, url: 'http://x/app.tar' }).create().run(rt);
    assert.equal(result, Results.SUCCESS);
    const up = rt.commands[0]!;
    assert.equal(up.command, 'upload_file');
    assert.deepEqual({ ...up.args }, { workdir: 'build', workerSrc: 'out/app.tar', masterDest: join(master, 'public/builds/app.tar'), maxsize: 1000, blocksize: 262144, keepstamp: false, mode: 0o644 });
    assert.equal(readFileSync(join(master, 'public/builds/app.tar'), 'utf8'), 'artifact');
    assert.deepEqual(rt.urls, [['app.tar', 'http://x/app.tar']]);
  });

  it('fileUpload refuses a masterdest outside the master directory without contacting the worker', async () => {
    const rt = new FakeRuntime({ masterDir: master });
    const result = await fileUpload({ workersrc: 'a', masterdest: '../outside/pwned' }).create().run(rt);
    assert.equal(result, Results.FAILURE);
    assert.equal(rt.commands.length, 0);
    assert.match(rt.logs.get('stdio')!.stderr, /masterdest "\.\.\/outside\/pwned" resolves outside the allowed directory/);
    assert.ok(!existsSync(join(outside, 'pwned')));
  });

  it('fileUpload ends FAILURE on a non-zero rc and EXCEPTION when the transfer broke, with the reason logged', async () => {
    const rc1 = new FakeRuntime({ masterDir: master, responder: () => ({ rc: 1 }) });
    assert.equal(await fileUpload({ workersrc: 'big', masterdest: 'public/big' }).create().run(rc1), Results.FAILURE);
    const rt = new FakeRuntime({ masterDir: master, responder: () => ({ rc: null, failure: { message: 'maximum filesize reached' } }) });
    assert.equal(await fileUpload({ workersrc: 'big', masterdest: 'public/big' }).create().run(rt), Results.EXCEPTION);
    assert.match(rt.logs.get('transfer')!.stderr, /maximum filesize reached/);
  });

  it('directoryUpload passes compress and refuses symlinked escapes', async () => {
    const rt = new FakeRuntime({ masterDir: master });
    assert.equal(await directoryUpload({ workersrc: 'docs', masterdest: 'public/docs', compress: 'gz' }).create().run(rt), Results.SUCCESS);
    assert.equal(rt.commands[0]!.args.compress, 'gz');
    const rt2 = new FakeRuntime({ masterDir: master });
    assert.equal(await directoryUpload({ workersrc: 'docs', masterdest: 'public/escape-dir/docs' }).create().run(rt2), Results.FAILURE);
    assert.equal(rt2.commands.length, 0);
  });

  it('fileDownload sends a checked master file, and fails clearly for missing or oversized sources', async () => {
    const rt = new FakeRuntime({ masterDir: master });
    assert.equal(await fileDownload({ mastersrc: 'public/tool.sh', workerdest: 'tool.sh', mode: 0o755 }).create().run(rt), Results.SUCCESS);
    assert.deepEqual(rt.commands[0]!.args.source, { path: join(master, 'public/tool.sh') });
    assert.equal(rt.commands[0]!.args.mode, 0o755);
    const missing = new FakeRuntime({ masterDir: master });
    assert.equal(await fileDownload({ mastersrc: 'public/nope', workerdest: 'x' }).create().run(missing), Results.FAILURE);
    assert.match(missing.logs.get('stdio')!.stderr, /does not exist on the master/);
    const big = new FakeRuntime({ masterDir: master });
    assert.equal(await fileDownload({ mastersrc: 'public/tool.sh', workerdest: 'x', maxsize: 3 }).create().run(big), Results.FAILURE);
    assert.equal(big.commands.length, 0);
    const escaper = new FakeRuntime({ masterDir: master });
    assert.equal(await fileDownload({ mastersrc: 'public/escape-file', workerdest: 'x' }).create().run(escaper), Results.FAILURE);
    assert.equal(escaper.commands.length, 0);
  });

  it('stringDownload and jsonStringDownload write rendered data to the worker', async () => {
    const rt = new FakeRuntime();
    assert.equal(await stringDownload({ s: 'hello\n', workerdest: 'greeting.txt', mode: 0o600 }).create().run(rt), Results.SUCCESS);
    const args = rt.commands[0]!.args as { source: { data: Buffer }; workerDest: string; mode: number; workdir: string };
    assert.equal(args.source.data.toString(), 'hello\n');
    assert.deepEqual([args.workerDest, args.mode, args.workdir], ['greeting.txt', 0o600, 'build']);
    const rt2 = new FakeRuntime();
    await jsonStringDownload({ o: { a: [1, 2] }, workerdest: 'x.json' }).create().run(rt2);
    assert.equal((rt2.commands[0]!.args.source as { data: Buffer }).data.toString(), '{"a":[1,2]}');
  });

  it('validates required options when the config loads', () => {
    assert.throws(() => fileUpload({ workersrc: 'a' } as never), /steps\.fileUpload: masterdest: is required/);
    assert.throws(() => fileDownload({ mastersrc: 'a', workerdest: 'b', maxsize: -1 }), /maxsize: must be a positive number/);
    assert.throws(() => directoryUpload({ workersrc: 'a', masterdest: 'b', compress: 'zip' as never }), /compress/);
  });
});

describe('uploads the master refuses, from a worker over a real connection', () => {
  let worker: ConnectedWorker;
  let close: () => Promise<void>;
  /** What the worker sends, whatever maxsize says: it ignores the limit and reports rc 0. */
  let payload: Buffer = Buffer.alloc(0);

  before(async () => {
    const h = await startHarness({ workers: [{ name: 'w', password: 'p' }] });
    const attached = h.nextAttached('w');
    const fake = await connectFakeWorker({
      url: h.url, name: 'w', password: 'p', basedir: '/base',
      onCommand: async (command, _args, ctl) => {
        const op = command === 'upload_file' ? 'update_upload_file_write' : command === 'upload_directory' ? 'update_upload_directory_write' : null;
        try {
          if (op) for (let i = 0; i < payload.length; i += 16 * 1024) await ctl.request(op, { args: payload.subarray(i, i + 16 * 1024) });
          if (command === 'upload_file') await ctl.request('update_upload_file_close', {});
          if (command === 'upload_directory') await ctl.request('update_upload_directory_unpack', {});
          if (command === 'listdir') await ctl.update([['files', []]]);
          await ctl.update([['rc', 0]]);
          await ctl.complete(null);
        } catch (err) {
          await ctl.update([['rc', 1]]);
          await ctl.complete(`upload failed: ${(err as Error).message}`);
        }
      },
    });
    worker = await attached;
    close = async () => { await fake.close(); await h.close(); };
  });
  after(() => close?.());

  it('fileUpload ends FAILURE, not SUCCESS with a truncated file, when the worker sends more than maxsize with rc 0', async () => {
    payload = Buffer.alloc(100_000, 'x');
    const rt = new FakeRuntime({ masterDir: master, liveWorker: worker });
    assert.equal(await fileUpload({ workersrc: 'big.bin', masterdest: 'public/refused/big.bin', maxsize: 1000 }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('transfer')!.stderr, /upload of big\.bin failed: .*more than the step's maxsize of 1000 bytes/);
    assert.equal(existsSync(join(master, 'public/refused/big.bin')), false);
  });

  it('directoryUpload ends FAILURE when the tree holds more than maxsize once extracted, leaving nothing in masterdest', async () => {
    payload = gzipSync(tarOf([{ name: 'zeros', type: 'file', content: '\0'.repeat(2 * 1024 * 1024) }]));
    const rt = new FakeRuntime({ masterDir: master, liveWorker: worker });
    assert.equal(await directoryUpload({ workersrc: 'out', masterdest: 'public/bomb', maxsize: 64 * 1024 }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('transfer')!.stderr, /more than 65536 bytes, the step's maxsize/);
    assert.equal(existsSync(join(master, 'public/bomb')), false);
  });

  it("directoryUpload ends FAILURE over the step's maxEntries, leaving nothing in masterdest", async () => {
    payload = tarOf(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, type: 'file' as const })));
    const rt = new FakeRuntime({ masterDir: master, liveWorker: worker });
    assert.equal(await directoryUpload({ workersrc: 'out', masterdest: 'public/many', maxEntries: 20 }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('transfer')!.stderr, /more than 20 files, directories and links, the step's maxEntries/);
    assert.equal(existsSync(join(master, 'public/many')), false);
    payload = tarOf([{ name: 'one', type: 'file', content: '1' }]);
    const ok = new FakeRuntime({ masterDir: master, liveWorker: worker });
    assert.equal(await directoryUpload({ workersrc: 'out', masterdest: 'public/many', maxEntries: 20 }).create().run(ok), Results.SUCCESS);
    assert.equal(readFileSync(join(master, 'public/many/one'), 'utf8'), '1');
  });

  it('validates maxEntries when the config loads', () => {
    assert.throws(() => directoryUpload({ workersrc: 'a', masterdest: 'b', maxEntries: 0 }), /maxEntries: must be a positive number/);
  });
});
