/**
 * `steps.git({ repourl, mode, method })`: checks out the build's SourceStamp for the step's codebase.
 * The worker knows nothing about git: this step composes each `git` command line (git-commands.ts)
 * and runs it as a `shell` command, plus `listdir`/`rmdir`/`cpdir` to inspect and reset the working
 * copy (Buildbot's "remsh" design). Every command is announced in the stdio log. What every source
 * step does (the SourceStamp, the patch, got_revision, retry and mode options) is in base.ts; this
 * file is Buildbot's `steps/source/git.py`: git's modes, methods and commands.
 */
import type { MaybeRenderable, StepFactory } from '../../process/step-types.js';
import { Results } from '../../model/results.js';
import { StepConfigError } from '../errors.js';
import { commandOutcome, isFatal } from '../outcome.js';
import { cpdir, listdir, rmdir } from '../remote-ops.js';
import * as G from './git-commands.js';
import { SourceAbort, SourceStep, checkSourceModes, sourceStepFactory, type CheckoutTarget, type SourceOptions } from './base.js';

export type GitMode = 'incremental' | 'full';
export type GitMethod = 'clean' | 'fresh' | 'clobber' | 'copy';

export interface GitOptions extends SourceOptions<GitMode, GitMethod> {
  repourl: MaybeRenderable<string>;
  /** Used when the SourceStamp has no branch (default 'HEAD': the remote's default branch). */
  branch?: MaybeRenderable<string>;
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
  /** Run `git describe` and store it in the `commit-description` property (true or describe flags). */
  getDescription?: boolean | Record<string, unknown>;
  reference?: MaybeRenderable<string> | null;
  origin?: MaybeRenderable<string> | null;
  filters?: readonly string[] | null;
  /** Pass --progress to clone and fetch (keeps long transfers from hitting the output timeout). Default true. */
  progress?: boolean;
  /** `git -c key=value` settings for every command. */
  config?: Readonly<Record<string, string>> | null;
}

const GIT_MODES = { modes: ['incremental', 'full'] as readonly GitMode[], methods: ['clean', 'fresh', 'clobber', 'copy'] as readonly GitMethod[] };

export class GitStep extends SourceStep<GitOptions> {
  // Per-run state (a step instance serves one build).
  private repourl = '';
  private defaultBranch = 'HEAD';
  private branch = 'HEAD';
  private revision: string | null = null;
  private mode: GitMode = 'incremental';
  private method: GitMethod | null = null;
  private reference: string | null = null;
  private origin: string | null = null;

  constructor(options: Readonly<GitOptions>) {
    super('Git', options);
  }

  protected override async prepare(): Promise<void> {
    const o = this.options;
    const rt = this.rt;
    this.repourl = String(await rt.render(o.repourl));
    this.mode = (await rt.render(o.mode ?? 'incremental')) as GitMode;
    const method = (await rt.render(o.method ?? null)) as GitMethod | null;
    this.method = this.mode === 'incremental' ? null : method ?? 'fresh';
    this.reference = o.reference ? String(await rt.render(o.reference)) : null;
    this.origin = o.origin ? String(await rt.render(o.origin)) : null;
    this.defaultBranch = String(await rt.render(o.branch ?? 'HEAD'));
  }

  protected async checkout(target: CheckoutTarget): Promise<void> {
    this.branch = target.branch ?? this.defaultBranch;
    this.revision = target.revision;
    if (this.mode === 'full') await this.modeFull();
    else await this.modeIncremental();
  }

  protected async cleanPatchedTree(): Promise<void> {
    await this.git(G.cleanArgs(true));
  }

  protected async applyPatchFile(level: number, dir: string): Promise<void> {
    await this.git(G.updateIndexRefreshArgs(), { workdir: dir, abandonOnFailure: false });
    await this.git(G.applyPatchArgs(level, '.buildbot-diff'), { workdir: dir });
  }

  protected async gotRevision(): Promise<string> {
    const { stdout } = await this.gitOutput(G.revParseHeadArgs());
    const rev = stdout.trim();
    if (!G.isFullHash(rev)) throw new SourceAbort(Results.FAILURE, `git rev-parse HEAD printed "${rev}", not a commit hash`);
    return rev;
  }

  protected override async afterCheckout(codebase: string): Promise<void> {
    if (!this.options.getDescription) return;
    const { rc, stdout } = await this.gitOutput(G.describeArgs(this.options.getDescription), false);
    // A repository without tags has no description; that is not a failure of the checkout.
    if (rc === 0) await this.setSourceProperty('commit-description', stdout.trim(), codebase);
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
    if (rc !== 0) throw new SourceAbort(Results.FAILURE, 'clone failed');
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
      throw new SourceAbort(Results.FAILURE, 'fetch failed');
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
      await this.sleepUnlessStopped(delay * 1000);
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
    if (!this.options.clobberOnFailure) throw new SourceAbort(Results.FAILURE, 'clone failed');
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

  // --- running git ------------------------------------------------------------------------------

  /** Runs `git ARGS` (with the step's `-c` settings); returns its rc. */
  private async git(args: string[], opts: { abandonOnFailure?: boolean; workdir?: string } = {}): Promise<number> {
    return (await this.command(['git', ...G.configArgs(this.options.config), ...args], { ...opts, label: `git ${args[0]}` })).rc;
  }

  private gitOutput(args: string[], abandonOnFailure = true): Promise<{ rc: number; stdout: string }> {
    return this.command(['git', ...G.configArgs(this.options.config), ...args], { abandonOnFailure, collectStdout: true, label: `git ${args[0]}` });
  }
}

export function git(options: GitOptions): StepFactory<GitOptions> {
  if (options.repourl === undefined || options.repourl === null || options.repourl === '') {
    throw new StepConfigError('git', 'repourl', 'is required (the repository URL the worker clones from)');
  }
  checkSourceModes('git', options, GIT_MODES);
  if (options.shallow && (options.mode !== 'full' || options.method !== 'clobber')) {
    throw new StepConfigError('git', 'shallow', "is only possible with mode 'full' and method 'clobber'");
  }
  if (options.shallow !== undefined && typeof options.shallow !== 'boolean' && !(Number.isInteger(options.shallow) && options.shallow >= 0)) {
    throw new StepConfigError('git', 'shallow', 'must be true/false or a clone depth (a positive integer)');
  }
  if (options.getDescription !== undefined && typeof options.getDescription !== 'boolean' && typeof options.getDescription !== 'object') {
    throw new StepConfigError('git', 'getDescription', 'must be a boolean or an object of git describe flags');
  }
  return sourceStepFactory('git', options, (o) => new GitStep(o));
}
