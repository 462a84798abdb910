/**
 * The base of every source step (Git now, Subversion and Mercurial next), Buildbot's
 * `steps/source/base.py`: what checking out a build's sources means whatever the VCS.
 *
 * - **Which sources**: the build's SourceStamp for the step's `codebase` (its branch, revision and
 *   patch), or the latest of the default branch with `alwaysUseLatest`. A build whose SourceStamps
 *   lack the codebase fails the step with a log naming the codebases it has, as in Buildbot.
 * - **Options every source step shares**: `mode`/`method` (checked against the VCS's own lists at
 *   config load, method only with mode 'full'), `retry` ([delaySeconds, repeats]), `codebase`,
 *   `alwaysUseLatest`, `env`, `logEnviron`, `timeout` (per command), the workdir; source steps
 *   halt the build on failure by default.
 * - **The patch** of a try build: shown in a `patch` log, written next to the sources as
 *   `.buildbot-diff` with the `.buildbot-patched` marker (the next build cleans a patched tree
 *   first), applied by the VCS, the diff removed again. Only a subdirectory inside the workdir is
 *   honoured.
 * - **What was checked out**: `got_revision` (a dict by codebase when the step has one) and the
 *   summary `update <codebase> <revision>`.
 *
 * A VCS step extends `SourceStep` with `checkout()` (its mode and method logic), `gotRevision()`,
 * `applyPatchFile()` and `cleanPatchedTree()`; it runs its commands with `command()`, which announces each in the stdio
 * log. `throw new SourceAbort(result, why)` ends the checkout with that result.
 */
import type { BuildStep, StepLog, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../../process/step-types.js';
import { Results, type Result } from '../../model/results.js';
import { setSummary } from '../summary.js';
import { BaseStep, checkOneOf, makeFactory } from '../factory.js';
import { StepConfigError } from '../errors.js';
import { commandOutcome, didFail, isFatal } from '../outcome.js';
import { downloadData, rmdir, runShell, statPath, workerJoin } from '../remote-ops.js';
import { updateSourceProperty } from './props.js';

export interface SourceOptions<Mode extends string = string, Method extends string = string> extends StepOptions {
  mode?: MaybeRenderable<Mode>;
  /** Only for mode 'full'. */
  method?: MaybeRenderable<Method>;
  /** [delaySeconds, repeats]: retry a failed checkout. */
  retry?: readonly [number, number] | null;
  /** Ignore the SourceStamp: always build the latest commit of the default branch. */
  alwaysUseLatest?: boolean;
  /** Which of the build's SourceStamps this step checks out (default ''). */
  codebase?: string;
}

/** A try build's patch, as the SourceStamp carries it. */
export interface SourcePatch { level: number; subdir: string; body: Buffer | string }

/** What to check out, from the SourceStamp (or the defaults with alwaysUseLatest). */
export interface CheckoutTarget {
  /** The SourceStamp's branch, or null: the step's default branch applies. */
  branch: string | null;
  revision: string | null;
  patch: SourcePatch | null;
  codebase: string;
}

/** Ends the checkout early with a result (a failed command, an interrupt, a lost worker). */
export class SourceAbort extends Error {
  constructor(readonly result: Result, message: string) { super(message); }
}

/** The result shape file commands return, for `check`. */
type FileCommandResult = { rc: number | null; interrupted: boolean; failure?: { message: string } };

export abstract class SourceStep<O extends SourceOptions> extends BaseStep<O> implements BuildStep {
  protected rt!: StepRuntime;
  protected stdio!: StepLog;
  /** The working copy, relative to the builder directory ('build' unless the step's workdir says otherwise). */
  protected workdir = 'build';
  protected env: Record<string, string | string[]> | null = null;
  /** What is left of `retry`: [delaySeconds, repeats remaining]. */
  protected retry: [number, number] | null = null;

  /** `vcName`: the property source (`Git`) and the default step name (`git`, `git-<codebase>`). */
  constructor(protected readonly vcName: string, options: Readonly<O>) {
    super(options.codebase ? `${vcName.toLowerCase()}-${options.codebase}` : vcName.toLowerCase(), options);
  }

  /** Brings the working copy to `target` (the base applies the patch afterwards). */
  protected abstract checkout(target: CheckoutTarget): Promise<void>;
  /** The revision the working copy is at, patch applied (`got_revision`). */
  protected abstract gotRevision(): Promise<string>;
  /** Applies `.buildbot-diff` (already written into `dir`) at `level`, as the VCS does. */
  protected abstract applyPatchFile(level: number, dir: string): Promise<void>;
  /** Brings a tree left patched by an earlier build back to its checkout (git clean, svn revert). */
  protected abstract cleanPatchedTree(): Promise<void>;
  /** After `got_revision` is set: extra properties (Git's commit-description). */
  protected async afterCheckout(_codebase: string): Promise<void> {}

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    this.rt = rt;
    this.workdir = rt.workdir;
    this.retry = o.retry ? [o.retry[0], o.retry[1]] : null;
    this.env = o.env ? await rt.render(o.env) : null;
    await this.prepare();
    const codebase = o.codebase ?? '';

    const target = await this.target(codebase);
    if (!target) return Results.FAILURE;

    this.stdio = await rt.addLog('stdio');
    try {
      if (await this.sourcedirIsPatched()) await this.cleanPatchedTree();
      await this.checkout(target);
      if (target.patch) await this.applyPatch(target.patch);
      const rev = await this.gotRevision();
      await this.setSourceProperty('got_revision', rev, codebase);
      await this.afterCheckout(codebase);
      await setSummary(rt, o, `update${codebase ? ` ${codebase}` : ''} ${rev.slice(0, 12)}`, Results.SUCCESS);
      return Results.SUCCESS;
    } catch (err) {
      if (err instanceof SourceAbort) {
        this.stdio.addHeader(`\n${err.message}\n`);
        return err.result;
      }
      throw err;
    } finally {
      await this.stdio.finish();
    }
  }

  /** Renders the VCS's own options (repository URL, mode, method...) before anything runs. */
  protected async prepare(): Promise<void> {}

  /** The SourceStamp of `codebase`, or null after logging why the build has none. */
  private async target(codebase: string): Promise<CheckoutTarget | null> {
    const rt = this.rt;
    if (this.options.alwaysUseLatest) return { branch: null, revision: null, patch: null, codebase };
    const ss = rt.getSourceStamp(codebase);
    // A build without any SourceStamp (e.g. forced with no codebases) builds the latest of the branch;
    // a build whose SourceStamps lack this step's codebase is a configuration mistake, as in Buildbot.
    if (!ss && (codebase !== '' || rt.build.sourcestamps.length > 0)) {
      const log = await rt.addLog('log', 't');
      const known = rt.build.sourcestamps.map((s) => `'${s.codebase}'`).join(', ') || 'none';
      log.addContent(`No sourcestamp found in build for codebase '${codebase}' (the build has: ${known}).\n` +
        `Set the step's codebase option to one of those, or give the scheduler a codebase '${codebase}'.\n`);
      await log.finish();
      await setSummary(rt, this.options, `Codebase ${codebase} not in build`, Results.FAILURE);
      return null;
    }
    const patch = ss?.patch ?? null;
    if (patch) {
      const plog = await rt.addLog('patch', 't');
      plog.addContent(typeof patch.body === 'string' ? patch.body : patch.body.toString('utf8'));
      await plog.finish();
    }
    return { branch: ss?.branch || null, revision: ss?.revision || null, patch, codebase };
  }

  private async sourcedirIsPatched(): Promise<boolean> {
    return (await statPath(this.rt, '.buildbot-patched', this.workdir)) !== undefined;
  }

  /** Writes the diff next to the sources, marks the tree patched (the next build cleans it), applies it, removes the diff. */
  private async applyPatch(patch: SourcePatch): Promise<void> {
    let dir = this.workdir;
    // Only a subdirectory inside the workdir is honoured: a patch cannot point the step elsewhere.
    if (patch.subdir && patch.subdir !== '.' && !/^([\\/]|[A-Za-z]:)/.test(patch.subdir) && !patch.subdir.split(/[\\/]/).includes('..')) {
      dir = workerJoin(this.rt, this.workdir, patch.subdir);
    }
    const body = typeof patch.body === 'string' ? Buffer.from(patch.body, 'utf8') : patch.body;
    this.announce('download patch to .buildbot-diff', dir);
    this.check(await downloadData(this.rt, body, '.buildbot-diff', dir, { stdioLog: this.stdio }), 'download .buildbot-diff');
    this.check(await downloadData(this.rt, 'patched\n', '.buildbot-patched', dir, { stdioLog: this.stdio }), 'download .buildbot-patched');
    await this.applyPatchFile(patch.level, dir);
    this.announce('remove .buildbot-diff', dir);
    this.check(await rmdir(this.rt, workerJoin(this.rt, dir, '.buildbot-diff'), { stdioLog: this.stdio }), 'rmdir .buildbot-diff');
  }

  /** Sets a property of what was checked out: plain, or keyed by codebase (see source-props.ts). */
  protected setSourceProperty(name: string, value: unknown, codebase: string): Promise<void> {
    return updateSourceProperty(this.rt, name, value, codebase, this.vcName);
  }

  // --- running commands -------------------------------------------------------------------------

  /** The step's timeout for each command: undefined = the 20-minute default, null = none. */
  protected timeout(): number | null | undefined {
    return this.options.timeout;
  }

  protected announce(what: string, dir: string): void {
    this.stdio.addHeader(`\n=== ${what}  (in ${dir})\n`);
  }

  /** Turns a failed file command into a SourceAbort with the right result. */
  protected check(res: FileCommandResult, what: string): void {
    if (!didFail(res as never)) return;
    const r = commandOutcome(res as never);
    throw new SourceAbort(r === Results.SUCCESS ? Results.FAILURE : r, `${what} failed${res.failure ? `: ${res.failure.message}` : ` (rc=${res.rc})`}`);
  }

  /**
   * Runs `argv` on the worker in `workdir` (default: the working copy), announced in the stdio log.
   * Interrupts and lost workers always abort; a non-zero rc aborts unless abandonOnFailure is false.
   */
  protected async command(argv: string[], opts: { abandonOnFailure?: boolean; workdir?: string; collectStdout?: boolean; label?: string } = {}): Promise<{ rc: number; stdout: string }> {
    const workdir = opts.workdir ?? this.workdir;
    const inv = { command: argv, workdir, env: this.env, timeout: this.timeout(), logEnviron: this.options.logEnviron ?? true };
    this.announce(argv.join(' '), workdir);
    const res = await runShell(this.rt, inv, { stdioLog: this.stdio, collectStdout: opts.collectStdout });
    const r = commandOutcome(res);
    const what = opts.label ?? argv[0]!;
    if (isFatal(r)) throw new SourceAbort(r, `${what} ${res.interrupted ? 'interrupted' : 'did not complete'}${res.failure ? `: ${res.failure.message}` : ''}`);
    if (res.rc === 127) this.stdio.addHeader(`${argv[0]} was not found on the worker: install ${argv[0]} or put it on the PATH of the worker process\n`);
    if (res.rc !== 0 && (opts.abandonOnFailure ?? true)) throw new SourceAbort(Results.FAILURE, `${what} failed (rc=${res.rc})`);
    return { rc: res.rc ?? -1, stdout: res.stdout ?? '' };
  }

  /** Waits `ms`, returning early when the build is stopped. */
  protected sleepUnlessStopped(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const off = this.rt.onStop(done);
      function done() { clearTimeout(t); off(); resolve(); }
    });
  }
}

/** The modes and methods a VCS knows, for config-time checks. */
export interface SourceModes<Mode extends string, Method extends string> {
  modes: readonly Mode[];
  methods: readonly Method[];
}

/** Config-time check of mode and method against the VCS's lists; a method goes only with mode 'full'. */
export function checkSourceModes<Mode extends string, Method extends string>(stepType: string, options: SourceOptions<Mode, Method>, modes: SourceModes<Mode, Method>): void {
  checkOneOf(stepType, 'mode', options.mode, modes.modes);
  checkOneOf(stepType, 'method', options.method, modes.methods);
  if (options.mode === 'incremental' && typeof options.method === 'string') {
    throw new StepConfigError(stepType, 'method', "is only used with mode 'full'; remove it or set mode: 'full'");
  }
}

/**
 * The factory of a source step, after its own checks (and checkSourceModes): checks the retry
 * shape and fills the defaults every source step shares. A checkout failure makes later steps
 * meaningless, so source steps halt the build on failure, as Buildbot's do.
 */
export function sourceStepFactory<O extends SourceOptions>(stepType: string, options: O, create: (options: Readonly<O>) => BuildStep): StepFactory<O> {
  if (options.retry && (!Array.isArray(options.retry) || options.retry.length !== 2)) {
    throw new StepConfigError(stepType, 'retry', 'must be [delaySeconds, repeats]');
  }
  const withDefaults: O = { haltOnFailure: true, flunkOnFailure: true, ...options };
  return makeFactory(stepType, withDefaults, create);
}
