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
import { Results } from '../src/process/results.js';
import { FakeRuntime } from './support/steps-fake-runtime.js';

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
    const escape = new FakeRuntime({ masterDir: master });
    assert.equal(await fileDownload({ mastersrc: 'public/escape-file', workerdest: 'x' }).create().run(escape), Results.FAILURE);
    assert.equal(escape.commands.length, 0);
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
