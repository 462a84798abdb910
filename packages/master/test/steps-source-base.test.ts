/**
 * The source-step base (steps/source/base.ts) on its own, through a small VCS written on it the way
 * a Subversion or Mercurial step will be: the base finds the codebase's SourceStamp, applies a try
 * patch, sets `got_revision` and the summary, checks modes and methods at config load and makes
 * source steps halt the build on failure; the VCS step only says which commands to run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceStep, checkSourceModes, sourceStepFactory, type CheckoutTarget, type SourceOptions } from '../src/steps/source/base.js';
import { StepConfigError } from '../src/steps/errors.js';
import { Results } from '../src/model/results.js';
import { FakeRuntime, isGit, type Recorded, type Scripted, type FakeOptions } from './support/steps-fake-runtime.js';

type ToyMode = 'incremental' | 'full';
interface ToyOptions extends SourceOptions<ToyMode, 'clobber'> { repourl: string }

/** A VCS of two commands: `toy update URL BRANCH [REV]` and `toy id` (prints the revision). */
class ToyStep extends SourceStep<ToyOptions> {
  constructor(o: Readonly<ToyOptions>) { super('Toy', o); }
  protected async checkout(t: CheckoutTarget): Promise<void> {
    await this.command(['toy', 'update', this.options.repourl, t.branch ?? 'trunk', ...(t.revision ? [t.revision] : [])]);
  }
  protected async gotRevision(): Promise<string> {
    return (await this.command(['toy', 'id'], { collectStdout: true })).stdout.trim();
  }
  protected async applyPatchFile(level: number, dir: string): Promise<void> {
    await this.command(['toy', 'patch', `-p${level}`, '.buildbot-diff'], { workdir: dir });
  }
  protected async cleanPatchedTree(): Promise<void> {
    await this.command(['toy', 'revert', '--all']);
  }
}

const MODES = { modes: ['incremental', 'full'] as const, methods: ['clobber'] as const };
function toy(options: ToyOptions) {
  checkSourceModes('toy', options, MODES);
  return sourceStepFactory('toy', options, (o) => new ToyStep(o));
}

const REV = 'r1234';
const worker = (patched = false, fail?: (r: Recorded) => Scripted | undefined) => (rec: Recorded): Scripted | undefined => {
  const f = fail?.(rec);
  if (f) return f;
  if (rec.command === 'stat') return patched ? { rc: 0, updates: { stat: [0o100644, 0, 0, 1, 0, 0, 8, 0, 0, 0] } } : { rc: 2 };
  if (isGit(rec, 'toy id')) return { rc: 0, stdout: `${REV}\n` };
  return { rc: 0 };
};
const ss = (over: Record<string, unknown> = {}) => ({ codebase: '', repository: 'toy://repo', branch: 'stable', revision: 'r9', project: '', ...over });
const lines = (rt: FakeRuntime) => rt.commands.filter((c) => c.command === 'shell').map((c) => (c.argv as string[]).join(' '));

async function run(o: ToyOptions, rtOpts: FakeOptions) {
  const rt = new FakeRuntime(rtOpts);
  const result = await toy(o).create().run(rt);
  return { rt, result };
}

describe('a source step written on SourceStep', () => {
  it('checks out the SourceStamp of its codebase and records got_revision and the summary', async () => {
    const { rt, result } = await run({ repourl: 'toy://repo', codebase: 'lib' }, { sourcestamps: [ss({ codebase: 'lib' })], responder: worker() });
    assert.equal(result, Results.SUCCESS);
    assert.deepEqual(lines(rt), ['toy update toy://repo stable r9', 'toy id']);
    assert.deepEqual(rt.properties.map.get('got_revision'), [{ lib: REV }, 'Toy']);
    assert.deepEqual(rt.summaries.at(-1), { step: `update lib ${REV}`, build: undefined });
  });

  it('without the codebase in the build it fails with a log naming the codebases the build has', async () => {
    const { rt, result } = await run({ repourl: 'toy://repo', codebase: 'app' }, { sourcestamps: [ss({ codebase: 'lib' })], responder: worker() });
    assert.equal(result, Results.FAILURE);
    assert.match(rt.logs.get('log')!.content, /No sourcestamp found in build for codebase 'app' \(the build has: 'lib'\)/);
    assert.deepEqual(lines(rt), []);
  });

  it('with alwaysUseLatest it ignores the SourceStamp and updates the default branch', async () => {
    const { rt } = await run({ repourl: 'toy://repo', alwaysUseLatest: true }, { sourcestamps: [ss()], responder: worker() });
    assert.equal(lines(rt)[0], 'toy update toy://repo trunk');
  });

  it('applies a try patch between checkout and got_revision, and cleans a tree an earlier patch left', async () => {
    const diff = '--- a/x\n+++ b/x\n';
    const { rt, result } = await run({ repourl: 'toy://repo' }, { sourcestamps: [ss({ patch: { level: 1, subdir: 'sub', body: diff } })], responder: worker(true) });
    assert.equal(result, Results.SUCCESS);
    assert.deepEqual(lines(rt), ['toy revert --all', 'toy update toy://repo stable r9', 'toy patch -p1 .buildbot-diff', 'toy id']);
    assert.equal(rt.commands.find((c) => isGit(c, 'toy patch'))!.args.workdir, 'build/sub');
    assert.deepEqual(rt.commands.filter((c) => c.command === 'download_file').map((d) => d.args.workerDest), ['.buildbot-diff', '.buildbot-patched']);
    assert.equal(rt.logs.get('patch')!.content, diff);
  });

  it('ends with the result of a failed command and says which one in the stdio log', async () => {
    const { rt, result } = await run({ repourl: 'toy://repo' }, { sourcestamps: [ss()], responder: worker(false, (r) => (isGit(r, 'toy update') ? { rc: 3 } : undefined)) });
    assert.equal(result, Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.header, /toy failed \(rc=3\)/);
    assert.equal(rt.properties.map.has('got_revision'), false);
  });

  it('says so when the VCS is not installed on the worker', async () => {
    const { rt } = await run({ repourl: 'toy://repo' }, { sourcestamps: [ss()], responder: worker(false, (r) => (isGit(r, 'toy update') ? { rc: 127 } : undefined)) });
    assert.match(rt.logs.get('stdio')!.header, /toy was not found on the worker: install toy or put it on the PATH of the worker process/);
  });

  it('checks mode, method and retry when the config loads, and halts the build on failure by default', () => {
    assert.throws(() => toy({ repourl: 'x', mode: 'sideways' as ToyMode }), (e: Error) => e instanceof StepConfigError && /mode/.test(e.message));
    assert.throws(() => toy({ repourl: 'x', mode: 'incremental', method: 'clobber' }), /is only used with mode 'full'/);
    assert.throws(() => toy({ repourl: 'x', retry: [1] as unknown as [number, number] }), /must be \[delaySeconds, repeats\]/);
    const f = toy({ repourl: 'x' });
    assert.equal(f.options.haltOnFailure, true);
    assert.equal(f.options.flunkOnFailure, true);
    assert.equal(toy({ repourl: 'x', haltOnFailure: false }).options.haltOnFailure, false);
  });
});
