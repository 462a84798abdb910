import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { git } from '../src/steps/source/git.js';
import { cloneArgs, describeArgs, fetchArgs } from '../src/steps/source/git-commands.js';
import { StepConfigError } from '../src/steps/errors.js';
import { Results } from '../src/model/results.js';
import { FakeRuntime, HASH, isGit, type Recorded, type Scripted, type FakeOptions } from './support/steps-fake-runtime.js';

const URL = 'file:///srv/repo.git';
const REV = 'b'.repeat(40);

/** A worker whose working copy is in a given state; git commands succeed unless `fail` says otherwise. */
function workerWith(state: { files?: string[] | null; patched?: boolean; revPresent?: boolean; fail?: (r: Recorded) => Scripted | undefined }) {
  return (rec: Recorded): Scripted | undefined => {
    const f = state.fail?.(rec);
    if (f) return f;
    if (rec.command === 'listdir') return state.files ? { rc: 0, updates: { files: state.files } } : { rc: 2 };
    if (rec.command === 'stat') return state.patched ? { rc: 0, updates: { stat: [0o100644, 0, 0, 1, 0, 0, 8, 0, 0, 0] } } : { rc: 2 };
    if (isGit(rec, 'cat-file -e')) return { rc: state.revPresent ? 0 : 1 };
    if (isGit(rec, 'rev-parse HEAD')) return { rc: 0, stdout: HASH + '\n' };
    if (isGit(rec, 'describe')) return { rc: 0, stdout: 'v1.2-3-gabc\n' };
    return { rc: 0 };
  };
}

async function run(stepOpts: Parameters<typeof git>[0], rtOpts: FakeOptions) {
  const rt = new FakeRuntime(rtOpts);
  const result = await git(stepOpts).create().run(rt);
  return { rt, result };
}

const ss = (over: Partial<FakeOptions['sourcestamps'] extends (infer T)[] | undefined ? T : never> = {}) => ({
  codebase: '', repository: URL, branch: 'main', revision: REV, project: '', ...over,
});

describe('git step command composition', () => {
  it('clones into an empty workdir at the branch, then pins the SourceStamp revision', async () => {
    const { rt, result } = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: null }) });
    assert.equal(result, Results.SUCCESS);
    assert.deepEqual(rt.commands.map((c) => c.command).slice(0, 2), ['stat', 'listdir']);
    assert.deepEqual(rt.gitLines, [
      `git clone --branch main ${URL} . --progress`,
      `git checkout -f ${REV}`,
      'git rev-parse HEAD',
    ]);
    assert.equal(rt.getProperty('got_revision'), HASH);
    assert.equal(rt.commands.find((c) => c.command === 'shell')!.args.workdir, 'build');
  });

  it('updates an existing clone incrementally: fetch the branch, check out the revision, name the branch', async () => {
    const { rt, result } = await run({ repourl: URL, mode: 'incremental' }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git', 'src'] }) });
    assert.equal(result, Results.SUCCESS);
    assert.deepEqual(rt.gitLines, [
      `git cat-file -e ${REV}`,
      `git fetch -f -t ${URL} main --progress`,
      `git checkout -f ${REV}`,
      'git checkout -B main',
      'git rev-parse HEAD',
    ]);
  });

  it('skips the fetch when the pinned revision is already in the clone', async () => {
    const { rt } = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'], revPresent: true }) });
    assert.ok(!rt.gitLines.some((l) => l.includes('fetch')));
    assert.ok(rt.gitLines.includes(`git checkout -f ${REV}`));
  });

  it('without a revision checks out FETCH_HEAD of the default branch', async () => {
    const { rt } = await run({ repourl: URL, branch: 'develop' }, { sourcestamps: [ss({ branch: null, revision: null })], responder: workerWith({ files: ['.git'] }) });
    assert.deepEqual(rt.gitLines.slice(0, 3), [`git fetch -f -t ${URL} develop --progress`, 'git checkout -f FETCH_HEAD', 'git checkout -B develop']);
  });

  it("reads a forced build's empty branch and revision ('', as Buildbot stores them) as none", async () => {
    const { rt } = await run({ repourl: URL, branch: 'develop' }, { sourcestamps: [ss({ branch: '', revision: '' })], responder: workerWith({ files: ['.git'] }) });
    assert.deepEqual(rt.gitLines.slice(0, 3), [`git fetch -f -t ${URL} develop --progress`, 'git checkout -f FETCH_HEAD', 'git checkout -B develop']);
  });

  it('alwaysUseLatest ignores the SourceStamp revision', async () => {
    const { rt } = await run({ repourl: URL, branch: 'main', alwaysUseLatest: true }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.ok(rt.gitLines.includes('git checkout -f FETCH_HEAD'));
    assert.ok(!rt.gitLines.some((l) => l.includes(REV)));
  });

  it('removes a non-git directory before cloning (clobber)', async () => {
    const { rt } = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['junk'] }) });
    const names = rt.commands.map((c) => c.command);
    assert.ok(names.indexOf('rmdir') > names.indexOf('listdir'));
    assert.deepEqual(rt.commands.find((c) => c.command === 'rmdir')!.args.dir, 'build');
    assert.equal(rt.gitLines[0], `git clone --branch main ${URL} . --progress`);
  });

  it('full/clean removes untracked files but keeps ignored ones, then fetches', async () => {
    const { rt } = await run({ repourl: URL, mode: 'full', method: 'clean' }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.deepEqual(rt.gitLines.slice(0, 2), ['git clean -f -f -d', `git cat-file -e ${REV}`]);
  });

  it('full/fresh (the full default) also removes ignored files', async () => {
    const { rt } = await run({ repourl: URL, mode: 'full' }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.equal(rt.gitLines[0], 'git clean -f -f -d -x');
  });

  it('full/fresh falls back to remove-and-clone when git clean fails', async () => {
    const { rt, result } = await run({ repourl: URL, mode: 'full', method: 'fresh' }, {
      sourcestamps: [ss()],
      responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'clean') ? { rc: 128 } : undefined) }),
    });
    assert.equal(result, Results.SUCCESS);
    const order = rt.commands.map((c) => (c.command === 'shell' ? (c.argv as string[]).slice(1, 2)[0] : c.command));
    assert.deepEqual(order, ['stat', 'listdir', 'clean', 'rmdir', 'clone', 'checkout', 'rev-parse']);
  });

  it('full/clobber with shallow clones at the given depth after removing the workdir', async () => {
    const { rt } = await run({ repourl: URL, mode: 'full', method: 'clobber', shallow: 5 }, { sourcestamps: [ss({ revision: null })], responder: workerWith({ files: ['.git'] }) });
    assert.equal(rt.commands.filter((c) => c.command === 'listdir').length, 0);
    assert.ok(rt.commands.some((c) => c.command === 'rmdir'));
    assert.deepEqual(rt.gitLines, [`git clone --branch main --depth 5 ${URL} . --progress`, 'git rev-parse HEAD']);
  });

  it('full/copy updates a pristine "source" clone and copies it into the workdir', async () => {
    const { rt } = await run({ repourl: URL, mode: 'full', method: 'copy' }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    const rm = rt.commands.find((c) => c.command === 'rmdir')!;
    assert.equal(rm.args.dir, 'build');
    assert.equal(rt.commands.find((c) => c.command === 'listdir')!.args.dir, 'source');
    assert.equal(rt.commands.find((c) => isGit(c, 'fetch'))!.args.workdir, 'source');
    const cp = rt.commands.find((c) => c.command === 'cpdir')!;
    assert.deepEqual([cp.args.fromdir, cp.args.todir], ['source', 'build']);
    // got_revision is read from the copy the build uses
    assert.equal(rt.commands.find((c) => isGit(c, 'rev-parse'))!.args.workdir, 'build');
  });

  it('with submodules syncs and updates them on update, and initialises them after a clone', async () => {
    const upd = await run({ repourl: URL, submodules: true }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.ok(upd.rt.gitLines.includes('git submodule sync'));
    assert.ok(upd.rt.gitLines.includes('git submodule update --init --recursive --force --checkout'));
    const cl = await run({ repourl: URL, submodules: true }, { sourcestamps: [ss()], responder: workerWith({ files: null }) });
    assert.ok(cl.rt.gitLines.includes('git submodule update --init --recursive'));
    const clean = await run({ repourl: URL, mode: 'full', method: 'clean', submodules: true }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.ok(clean.rt.gitLines.includes('git submodule foreach --recursive git clean -f -f -d'));
  });

  it('applies a SourceStamp patch with git apply and marks the tree patched', async () => {
    const diff = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
    const { rt, result } = await run({ repourl: URL }, {
      sourcestamps: [ss({ patch: { level: 1, subdir: '', body: diff } })],
      responder: workerWith({ files: ['.git'] }),
    });
    assert.equal(result, Results.SUCCESS);
    const downloads = rt.commands.filter((c) => c.command === 'download_file');
    assert.deepEqual(downloads.map((d) => d.args.workerDest), ['.buildbot-diff', '.buildbot-patched']);
    assert.equal((downloads[0]!.args.source as { data: Buffer }).data.toString(), diff);
    assert.deepEqual(rt.gitLines.slice(-3), ['git update-index --refresh', 'git apply --index -p 1 .buildbot-diff', 'git rev-parse HEAD']);
    assert.equal(rt.logs.get('patch')!.content, diff);
    assert.ok(rt.commands.some((c) => c.command === 'rmdir' && c.args.dir === 'build/.buildbot-diff'));
  });

  it('cleans a previously patched tree before updating it', async () => {
    const { rt } = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'], patched: true }) });
    assert.equal(rt.gitLines[0], 'git clean -f -f -d -x');
  });

  it('checks out the SourceStamp of its own codebase and records got_revision per codebase', async () => {
    const { rt } = await run({ repourl: 'file:///lib.git', codebase: 'lib', workdir: 'lib' }, {
      sourcestamps: [ss({ codebase: 'app', revision: 'c'.repeat(40) }), ss({ codebase: 'lib', branch: 'stable', revision: REV })],
      properties: { got_revision: { app: 'c'.repeat(40) } },
      responder: workerWith({ files: ['.git'] }),
    });
    assert.ok(rt.gitLines.includes('git fetch -f -t file:///lib.git stable --progress'));
    assert.deepEqual(rt.getProperty('got_revision'), { app: 'c'.repeat(40), lib: HASH });
  });

  it('fails with an explanation when the build has no SourceStamp for the codebase', async () => {
    const { rt, result } = await run({ repourl: URL, codebase: 'docs' }, { sourcestamps: [ss({ codebase: 'app' })], responder: workerWith({}) });
    assert.equal(result, Results.FAILURE);
    assert.match(rt.logs.get('log')!.content, /No sourcestamp found in build for codebase 'docs'.*'app'/s);
    assert.equal(rt.commands.length, 0);
  });

  it('retries a failed fetch once with retryFetch', async () => {
    let fetches = 0;
    const { rt, result } = await run({ repourl: URL, retryFetch: true }, {
      sourcestamps: [ss({ revision: null })],
      responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'fetch') && fetches++ === 0 ? { rc: 128 } : undefined) }),
    });
    assert.equal(result, Results.SUCCESS);
    assert.equal(rt.gitLines.filter((l) => l.includes('fetch')).length, 2);
  });

  it('fails the step when the fetch fails and no fallback is configured', async () => {
    const { rt, result } = await run({ repourl: URL }, {
      sourcestamps: [ss({ revision: null })],
      responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'fetch') ? { rc: 128, stderr: 'fatal: repository not found' } : undefined) }),
    });
    assert.equal(result, Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.header, /fetch failed/);
    assert.ok(!rt.gitLines.some((l) => l.includes('rev-parse')));
  });

  it('clobbers and clones again when the fetch fails with clobberOnFailure', async () => {
    const { rt, result } = await run({ repourl: URL, clobberOnFailure: true }, {
      sourcestamps: [ss({ revision: null })],
      responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'fetch') ? { rc: 1 } : undefined) }),
    });
    assert.equal(result, Results.SUCCESS);
    assert.ok(rt.commands.some((c) => c.command === 'rmdir'));
    assert.ok(rt.gitLines.some((l) => l.startsWith('git clone')));
  });

  it('ends CANCELLED when a git command is interrupted, RETRY when the worker is lost', async () => {
    const cancelled = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'fetch') ? { rc: null, interrupted: true } : undefined) }) });
    assert.equal(cancelled.result, Results.CANCELLED);
    const lost = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'fetch') ? { rc: null, failure: { message: 'gone', lostConnection: true } } : undefined) }) });
    assert.equal(lost.result, Results.RETRY);
  });

  it('stores git describe output when getDescription is set', async () => {
    const { rt } = await run({ repourl: URL, getDescription: { tags: true, abbrev: 7 } }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.ok(rt.gitLines.includes('git describe --tags --abbrev=7 HEAD'));
    assert.equal(rt.getProperty('commit-description'), 'v1.2-3-gabc');
  });

  it('passes config settings before every subcommand and logs each invocation as a header', async () => {
    const { rt } = await run({ repourl: URL, config: { 'core.autocrlf': 'false' } }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'] }) });
    assert.ok(rt.gitLines.every((l) => l.startsWith('git -c core.autocrlf=false ')));
    assert.match(rt.logs.get('stdio')!.header, /=== git -c core.autocrlf=false fetch -f -t .* \(in build\)/);
    assert.equal(rt.logs.get('stdio')!.finished, true);
  });

  it('refuses a got_revision that is not a commit hash', async () => {
    const { result } = await run({ repourl: URL }, { sourcestamps: [ss()], responder: workerWith({ files: ['.git'], fail: (r) => (isGit(r, 'rev-parse') ? { rc: 0, stdout: 'HEAD\n' } : undefined) }) });
    assert.equal(result, Results.FAILURE);
  });
});

describe('git step configuration', () => {
  it('rejects shallow outside full/clobber, unknown modes and methods with the option named', () => {
    assert.throws(() => git({ repourl: URL, shallow: true }), (e: unknown) => e instanceof StepConfigError && /shallow/.test((e as Error).message));
    assert.throws(() => git({ repourl: URL, mode: 'bogus' as never }), /mode: must be 'incremental' or 'full'/);
    assert.throws(() => git({ repourl: URL, mode: 'full', method: 'nuke' as never }), /method/);
    assert.throws(() => git({ repourl: '' }), /repourl: is required/);
  });

  it('halts the build on failure by default, like Buildbot source steps', () => {
    const f = git({ repourl: URL });
    assert.equal(f.options.haltOnFailure, true);
    assert.equal(f.stepType, 'git');
    assert.equal(git({ repourl: URL, codebase: 'lib' }).create().name, 'git-lib');
  });

  it('composes clone for refs/ branches without --branch and fetches them afterwards', () => {
    assert.deepEqual(cloneArgs({ repourl: URL, branch: 'refs/changes/1/2/3', shallow: false, progress: false }), {
      args: ['clone', '--no-checkout', URL, '.'], switchToBranch: true,
    });
    assert.deepEqual(fetchArgs(URL, 'main', false), ['fetch', '-f', '-t', URL, 'main']);
    assert.deepEqual(describeArgs({ dirty: true }), ['describe', '--dirty']);
  });
});
