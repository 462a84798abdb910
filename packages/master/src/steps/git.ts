/**
 * `steps.git({ repourl, mode, method })`: checks out the build's SourceStamp for the step's codebase.
 * The worker knows nothing about git: this step composes each `git` command line (git-commands.ts)
 * and runs it as a `shell` command, plus `listdir`/`stat`/`rmdir`/`cpdir` to inspect and reset the
 * working copy (Buildbot's "remsh" design). Every command is announced in the stdio log.
 */
import type { BuildStep, StepLog, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkOneOf, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';
import { commandOutcome, didFail, isFatal } from './outcome.js';
import { cpdir, downloadData, listdir, rmdir, runShell, statPath, workerJoin } from './remote-ops.js';
import * as G from './git-commands.js';
import { updateSourceProperty } from './source-props.js';

export type GitMode = 'incremental' | 'full';
export type GitMethod = 'clean' | 'fresh' | 'clobber' | 'copy';

export interface GitOptions extends StepOptions {
  repourl: MaybeRenderable<string>;
  /** Used when the SourceStamp has no branch (default 'HEAD': the remote's default branch). */
  branch?: MaybeRenderable<string>;
  mode?: MaybeRenderable<GitMode>;
  /** Only for mode 'full' (default 'fresh'). */
  method?: MaybeRenderable<GitMethod>;
  /** Depth of a shallow clone (true = 1); only with mode 'full' and method 'clobber', as in Buildbot. */
  shallow?: boolean | number;
  submodules?: boolean;
  remoteSubmodules?: boolean;
  /** Retry a failed fetch once before giving up. */
  retryFetch?: boolean;
  /** When a fetch or clone fails, remove the directory and clone again. */
  clobberOnFailure?: boolean;
  /** [delaySeconds, repeats]: retry a failed clone. */
  retry?: readonly [number, number] | null;
  /** Run `git describe` and store it in the `commit-description` property (true or describe flags). */
  getDescription?: boolean | Record<string, unknown>;
  /** Ignore the SourceStamp: always build the latest commit of `branch`. */
  alwaysUseLatest?: boolean;
  /** Which of the build's SourceStamps this step checks out (default ''). */
  codebase?: string;
  reference?: MaybeRenderable<string> | null;
  origin?: MaybeRenderable<string> | null;
  filters?: readonly string[] | null;
  /** Pass --progress to clone and fetch (keeps long transfers from hitting the output timeout). Default true. */
  progress?: boolean;
  /** `git -c key=value` settings for every command. */
  config?: Readonly<Record<string, string>> | null;
}

/** Ends the checkout early with a result (a failed command, an interrupt, a lost worker). */
class Abort extends Error {
  constructor(readonly result: Result, message: string) { super(message); }
}

const MODES: readonly GitMode[] = ['incremental', 'full'];
const METHODS: readonly GitMethod[] = ['clean', 'fresh', 'clobber', 'copy'];

export class GitStep extends BaseStep<GitOptions> implements BuildStep {
  // Per-run state (a step instance serves one build).
  private rt!: StepRuntime;
  private stdio!: StepLog;
  private workdir = 'build';
  private repourl = '';
  private branch = 'HEAD';
  private revision: string | null = null;
  private mode: GitMode = 'incremental';
  private method: GitMethod | null = null;
  private retry: [number, number] | null = null;
  private env: Record<string, string | string[]> | null = null;
  private reference: string | null = null;
  private origin: string | null = null;

  constructor(options: Readonly<GitOptions>) {
    super(options.codebase ? `git-${options.codebase}` : 'git', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    this.rt = rt;
    this.workdir = rt.workdir;
    this.repourl = String(await rt.render(o.repourl));
    this.mode = (await rt.render(o.mode ?? 'incremental')) as GitMode;
    const method = (await rt.render(o.method ?? null)) as GitMethod | null;
    this.method = this.mode === 'incremental' ? null : method ?? 'fresh';
    this.retry = o.retry ? [o.retry[0], o.retry[1]] : null;
    this.env = o.env ? await rt.render(o.env) : null;
    this.reference = o.reference ? String(await rt.render(o.reference)) : null;
    this.origin = o.origin ? String(await rt.render(o.origin)) : null;
    const defaultBranch = String(await rt.render(o.branch ?? 'HEAD'));
    const codebase = o.codebase ?? '';

    let patch: { level: number; subdir: string; body: Buffer | string } | null = null;
    if (o.alwaysUseLatest) {
      this.branch = defaultBranch;
      this.revision = null;
    } else {
      const ss = rt.getSourceStamp(codebase);
      // A build without any SourceStamp (e.g. forced with no codebases) builds the latest of the branch;
      // a build whose SourceStamps lack this step's codebase is a configuration mistake, as in Buildbot.
      if (!ss && (codebase !== '' || rt.build.sourcestamps.length > 0)) {
        const log = await rt.addLog('log', 't');
        const known = rt.build.sourcestamps.map((s) => `'${s.codebase}'`).join(', ') || 'none';
        log.addContent(`No sourcestamp found in build for codebase '${codebase}' (the build has: ${known}).\n` +
          `Set the step's codebase option to one of those, or give the scheduler a codebase '${codebase}'.\n`);
        await log.finish();
        await setSummary(rt, o, `Codebase ${codebase} not in build`, Results.FAILURE);
        return Results.FAILURE;
      }
      this.branch = ss?.branch || defaultBranch;
      this.revision = ss?.revision || null;
      if (ss?.patch) {
        patch = ss.patch;
        const plog = await rt.addLog('patch', 't');
        plog.addContent(typeof patch.body === 'string' ? patch.body : patch.body.toString('utf8'));
        await plog.finish();
      }
    }

    this.stdio = await rt.addLog('stdio');
    try {
      if (await this.sourcedirIsPatched()) await this.git(G.cleanArgs(true));
      if (this.mode === 'full') await this.modeFull();
      else await this.modeIncremental();
      if (patch) await this.applyPatch(patch);
      const rev = await this.gotRevision();
      await updateSourceProperty(rt, 'got_revision', rev, codebase, 'Git');
      if (o.getDescription) await this.describe(codebase);
      await setSummary(rt, o, `update${codebase ? ` ${codebase}` : ''} ${rev.slice(0, 12)}`, Results.SUCCESS);
      return Results.SUCCESS;
    } catch (err) {
      if (err instanceof Abort) {
        this.stdio.addHeader(`\n${err.message}\n`);
        return err.result;
      }
      throw err;
    } finally {
      await this.stdio.finish();
    }
  }

  // --- modes and methods (Buildbot's mode_full / mode_incremental) -----------------------------

  private async modeFull(): Promise<void> {
    if (this.method === 'clobber') return this.clobber();
    if (this.method === 'copy') return this.copy();
    const action = await this.sourcedirUpdatable();
    if (action === 'clobber') return this.clobber();
    if (action === 'clone') return this.fullCloneOrFallback();
    if (this.method === 'clean') return this.clean();
    return this.fresh();
  }

  private async modeIncremental(): Promise<void> {
    const action = await this.sourcedirUpdatable();
    if (action === 'clobber') return this.clobber();
    if (action === 'clone') return this.fullCloneOrFallback();
    await this.fetchOrFallback();
    await this.syncSubmodule();
    await this.updateSubmodule();
  }

  private async clean(): Promise<void> {
    await this.git(G.cleanArgs(false));
    await this.fetchOrFallback();
    await this.syncSubmodule();
    await this.updateSubmodule();
    await this.cleanSubmodule(false);
    if (this.options.submodules) await this.git(G.cleanArgs(false));
  }

  private async fresh(): Promise<void> {
    const rc = await this.git(G.cleanArgs(true), { abandonOnFailure: false });
    if (rc === 0) await this.fetchOrFallback();
    else {
      await this.doClobber();
      await this.fullCloneOrFallback();
    }
    await this.syncSubmodule();
    await this.updateSubmodule();
    await this.cleanSubmodule(true);
    if (this.options.submodules) await this.git(G.cleanArgs(true));
  }

  private async clobber(): Promise<void> {
    await this.doClobber();
    const rc = await this.fullClone(this.shallowDepth());
    if (rc !== 0) throw new Abort(Results.FAILURE, 'clone failed');
  }

  /** Keeps a pristine clone in 'source' updated incrementally, then copies it to the workdir. */
  private async copy(): Promise<void> {
    const target = this.workdir;
    await this.rmdirChecked(target, false);
    this.workdir = 'source';
    try {
      await this.modeIncremental();
    } finally {
      this.workdir = target;
    }
    this.announce(`copy source -> ${target}`, 'source');
    const res = await cpdir(this.rt, 'source', target, { stdioLog: this.stdio, timeout: this.timeout() ?? undefined });
    this.check(res, 'cpdir source -> ' + target);
  }

  // --- building blocks --------------------------------------------------------------------------

  private shallowDepth(): number | false {
    const s = this.options.shallow;
    return s === true ? 1 : typeof s === 'number' && s > 0 ? s : false;
  }

  private async sourcedirUpdatable(): Promise<'update' | 'clone' | 'clobber'> {
    const files = await listdir(this.rt, this.workdir, { stdioLog: null });
    if (!files) return 'clone';
    if (files.includes('.git')) return 'update';
    return files.length ? 'clobber' : 'clone';
  }

  private async sourcedirIsPatched(): Promise<boolean> {
    return (await statPath(this.rt, '.buildbot-patched', this.workdir)) !== undefined;
  }

  private async fetch(abandonOnFailure: boolean): Promise<number> {
    let fetchRequired = true;
    // A pinned revision already present needs no network round trip.
    if (this.revision) {
      const rc = await this.git(G.revisionExistsArgs(this.revision), { abandonOnFailure: false });
      if (rc === 0) fetchRequired = false;
    }
    if (fetchRequired) {
      const rc = await this.git(G.fetchArgs(this.repourl, this.branch, this.options.progress ?? true), { abandonOnFailure });
      if (rc !== 0) return rc;
    }
    const rc = await this.git(G.checkoutArgs(this.revision ?? 'FETCH_HEAD'), { abandonOnFailure });
    if (rc === 0 && this.branch !== 'HEAD') await this.git(G.renameBranchArgs(this.branch), { abandonOnFailure: false });
    return rc;
  }

  private async fetchOrFallback(): Promise<void> {
    const o = this.options;
    const rc = await this.fetch(!o.retryFetch && !o.clobberOnFailure);
    if (rc === 0) return;
    if (o.retryFetch) {
      this.stdio.addHeader('fetch failed; retrying once (retryFetch)\n');
      await this.fetch(true);
    } else if (o.clobberOnFailure) {
      this.stdio.addHeader('fetch failed; removing the working copy and cloning again (clobberOnFailure)\n');
      await this.clobber();
    } else {
      throw new Abort(Results.FAILURE, 'fetch failed');
    }
  }

  private async clone(shallow: number | false): Promise<number> {
    for (;;) {
      const { args, switchToBranch } = G.cloneArgs({
        repourl: this.repourl, branch: this.branch, shallow, reference: this.reference, origin: this.origin,
        filters: this.options.filters ?? null, progress: this.options.progress ?? true,
      });
      const lastTry = !this.retry || this.retry[1] <= 0;
      let rc = await this.git(args, { abandonOnFailure: lastTry && !!shallow });
      if (switchToBranch && rc === 0) rc = await this.fetch(true);
      if (rc === 0 || this.rt.isStopped() || lastTry) return rc;
      const [delay, repeats] = this.retry!;
      this.retry = [delay, repeats - 1];
      this.stdio.addHeader(`clone failed; trying ${repeats} more time(s) after ${delay} s\n`);
      await sleepUnlessStopped(this.rt, delay * 1000);
      await this.doClobber();
    }
  }

  private async fullClone(shallow: number | false = false): Promise<number> {
    let rc = await this.clone(shallow);
    if (rc !== 0) return rc;
    if (this.revision) rc = await this.git(G.checkoutArgs(this.revision), { abandonOnFailure: !!shallow });
    if (rc === 0 && this.options.submodules) {
      rc = await this.git(G.submoduleUpdateArgs(!!this.options.remoteSubmodules, false), { abandonOnFailure: !!shallow });
    }
    return rc;
  }

  private async fullCloneOrFallback(): Promise<void> {
    const rc = await this.fullClone();
    if (rc === 0) return;
    if (!this.options.clobberOnFailure) throw new Abort(Results.FAILURE, 'clone failed');
    this.stdio.addHeader('clone failed; removing the working copy and cloning again (clobberOnFailure)\n');
    await this.clobber();
  }

  private async doClobber(): Promise<void> {
    await this.rmdirChecked(this.workdir, true);
  }

  private async rmdirChecked(dir: string, abandonOnFailure: boolean): Promise<void> {
    this.announce(`remove directory ${dir}`, dir);
    const res = await rmdir(this.rt, dir, { stdioLog: this.stdio, timeout: this.timeout() ?? undefined });
    if (abandonOnFailure) this.check(res, `rmdir ${dir}`);
    else if (isFatal(commandOutcome(res))) this.check(res, `rmdir ${dir}`);
  }

  private async syncSubmodule(): Promise<void> {
    if (this.options.submodules) await this.git(G.submoduleSyncArgs());
  }

  private async updateSubmodule(): Promise<void> {
    if (this.options.submodules) await this.git(G.submoduleUpdateArgs(!!this.options.remoteSubmodules, true));
  }

  private async cleanSubmodule(withIgnored: boolean): Promise<void> {
    if (this.options.submodules) await this.git(G.submoduleCleanArgs(withIgnored));
  }

  /** Writes the diff next to the sources, marks the tree patched (next build cleans it), applies it with git. */
  private async applyPatch(patch: { level: number; subdir: string; body: Buffer | string }): Promise<void> {
    let dir = this.workdir;
    // Only a subdirectory inside the workdir is honoured: a patch cannot point the step elsewhere.
    if (patch.subdir && patch.subdir !== '.' && !/^([\\/]|[A-Za-z]:)/.test(patch.subdir) && !patch.subdir.split(/[\\/]/).includes('..')) {
      dir = workerJoin(this.rt, this.workdir, patch.subdir);
    }
    const body = typeof patch.body === 'string' ? Buffer.from(patch.body, 'utf8') : patch.body;
    this.announce('download patch to .buildbot-diff', dir);
    this.check(await downloadData(this.rt, body, '.buildbot-diff', dir, { stdioLog: this.stdio }), 'download .buildbot-diff');
    this.check(await downloadData(this.rt, 'patched\n', '.buildbot-patched', dir, { stdioLog: this.stdio }), 'download .buildbot-patched');
    await this.git(G.updateIndexRefreshArgs(), { workdir: dir, abandonOnFailure: false });
    await this.git(G.applyPatchArgs(patch.level, '.buildbot-diff'), { workdir: dir });
    this.announce('remove .buildbot-diff', dir);
    this.check(await rmdir(this.rt, workerJoin(this.rt, dir, '.buildbot-diff'), { stdioLog: this.stdio }), 'rmdir .buildbot-diff');
  }

  private async gotRevision(): Promise<string> {
    const { stdout } = await this.gitOutput(G.revParseHeadArgs());
    const rev = stdout.trim();
    if (!G.isFullHash(rev)) throw new Abort(Results.FAILURE, `git rev-parse HEAD printed "${rev}", not a commit hash`);
    return rev;
  }

  private async describe(codebase: string): Promise<void> {
    const { rc, stdout } = await this.gitOutput(G.describeArgs(this.options.getDescription ?? false), false);
    // A repository without tags has no description; that is not a failure of the checkout.
    if (rc === 0) await updateSourceProperty(this.rt, 'commit-description', stdout.trim(), codebase, 'Git');
  }

  // --- running git ------------------------------------------------------------------------------

  /** The step's timeout for each command: undefined = the 20-minute default, null = none. */
  private timeout(): number | null | undefined {
    return this.options.timeout;
  }

  private announce(what: string, dir: string): void {
    this.stdio.addHeader(`\n=== ${what}  (in ${dir})\n`);
  }

  /** Turns a non-zero file command into an Abort with the right result. */
  private check(res: { rc: number | null; interrupted: boolean; failure?: { message: string } }, what: string): void {
    if (!didFail(res as never)) return;
    const r = commandOutcome(res as never);
    throw new Abort(r === Results.SUCCESS ? Results.FAILURE : r, `${what} failed${res.failure ? `: ${res.failure.message}` : ` (rc=${res.rc})`}`);
  }

  private shellFor(args: string[], workdir = this.workdir) {
    return {
      command: ['git', ...G.configArgs(this.options.config), ...args],
      workdir,
      env: this.env,
      timeout: this.timeout(),
      logEnviron: this.options.logEnviron ?? true,
    };
  }

  /** Runs `git ARGS`; returns its rc. Interrupts, lost workers and (with abandonOnFailure) failures abort. */
  private async git(args: string[], opts: { abandonOnFailure?: boolean; workdir?: string } = {}): Promise<number> {
    const workdir = opts.workdir ?? this.workdir;
    const inv = this.shellFor(args, workdir);
    this.announce(inv.command.join(' '), workdir);
    const res = await runShell(this.rt, inv, { stdioLog: this.stdio });
    const r = commandOutcome(res);
    if (isFatal(r)) throw new Abort(r, `git ${args[0]} ${res.interrupted ? 'interrupted' : 'did not complete'}${res.failure ? `: ${res.failure.message}` : ''}`);
    if (res.rc === 127) this.stdio.addHeader('git was not found on the worker: install git or put it on the PATH of the worker process\n');
    if (res.rc !== 0 && (opts.abandonOnFailure ?? true)) throw new Abort(Results.FAILURE, `git ${args[0]} failed (rc=${res.rc})`);
    return res.rc ?? -1;
  }

  private async gitOutput(args: string[], abandonOnFailure = true): Promise<{ rc: number; stdout: string }> {
    const inv = this.shellFor(args);
    this.announce(inv.command.join(' '), this.workdir);
    const res = await runShell(this.rt, inv, { stdioLog: this.stdio, collectStdout: true });
    const r = commandOutcome(res);
    if (isFatal(r)) throw new Abort(r, `git ${args[0]} did not complete`);
    if (res.rc !== 0 && abandonOnFailure) throw new Abort(Results.FAILURE, `git ${args[0]} failed (rc=${res.rc})`);
    return { rc: res.rc ?? -1, stdout: res.stdout ?? '' };
  }
}

function sleepUnlessStopped(rt: StepRuntime, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    const off = rt.onStop(done);
    function done() { clearTimeout(t); off(); resolve(); }
  });
}

export function git(options: GitOptions): StepFactory<GitOptions> {
  if (options.repourl === undefined || options.repourl === null || options.repourl === '') {
    throw new StepConfigError('git', 'repourl', 'is required (the repository URL the worker clones from)');
  }
  checkOneOf('git', 'mode', options.mode, MODES);
  checkOneOf('git', 'method', options.method, METHODS);
  if (options.mode === 'incremental' && typeof options.method === 'string') {
    throw new StepConfigError('git', 'method', "is only used with mode 'full'; remove it or set mode: 'full'");
  }
  if (options.shallow && (options.mode !== 'full' || options.method !== 'clobber')) {
    throw new StepConfigError('git', 'shallow', "is only possible with mode 'full' and method 'clobber'");
  }
  if (options.shallow !== undefined && typeof options.shallow !== 'boolean' && !(Number.isInteger(options.shallow) && options.shallow >= 0)) {
    throw new StepConfigError('git', 'shallow', 'must be true/false or a clone depth (a positive integer)');
  }
  if (options.getDescription !== undefined && typeof options.getDescription !== 'boolean' && typeof options.getDescription !== 'object') {
    throw new StepConfigError('git', 'getDescription', 'must be a boolean or an object of git describe flags');
  }
  if (options.retry && (!Array.isArray(options.retry) || options.retry.length !== 2)) {
    throw new StepConfigError('git', 'retry', 'must be [delaySeconds, repeats]');
  }
  // A checkout failure makes later steps meaningless: Buildbot's Source steps halt by default.
  const withDefaults: GitOptions = { haltOnFailure: true, flunkOnFailure: true, ...options };
  return makeFactory('git', withDefaults, (o) => new GitStep(o));
}
