/**
 * The tryJobdir scheduler (Buildbot's Try_Jobdir): developers run `buildbot try --connect=ssh`
 * or `mastro try --connect=ssh`, which logs into the master host and runs `mastro tryserver
 * --jobdir DIR`; that drops a job file into DIR/new. Each file becomes a buildset with the patch,
 * exactly as a tryUserpass job does. Access control is the file system's (who may ssh in and
 * write to the jobdir). A file that is too big, malformed, of an unknown version or naming a
 * builder this scheduler does not have is logged and left in DIR/cur.
 */
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { JobdirWatcher } from './jobdir-watcher.js';
import { TryBaseScheduler, TryJobError } from './try-base.js';
import { parseJobFile, TryJobFileError } from './try-jobfile.js';
import type { CommonSchedulerOptions } from './specs.js';
import { num, str } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { TRY_COMMON_KEYS } from './checks.js';

export const TRY_JOBDIR_DEFAULT_POLL_INTERVAL = 10;
export const TRY_JOBDIR_DEFAULT_MAX_JOB_BYTES = 10 * 1024 * 1024;

export interface TryJobdirOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'concurrencyGroup' | 'unchangedCodebases'> {
  /** The job directory (`tmp`, `new`, `cur` are created in it); relative paths are from the master directory. */
  jobdir: string;
  /** Seconds between rescans of `<jobdir>/new`, the fallback when file-system events are lost. Default 10. */
  pollInterval?: number;
  /** Largest accepted job file (patch included), bytes; bigger ones are moved to `cur` unread. Default 10 MiB. */
  maxJobBytes?: number;
}

export class TryJobdirScheduler extends TryBaseScheduler<TryJobdirOptions> {
  protected readonly buildbotClass = 'Try_Jobdir';
  private watcher: JobdirWatcher | null = null;

  /** The absolute job directory. */
  get jobdir(): string { return resolve(this.spec.jobdir); }

  protected async activate(): Promise<void> {
    this.watcher = new JobdirWatcher({
      dir: this.jobdir,
      pollIntervalMs: (this.spec.pollInterval ?? TRY_JOBDIR_DEFAULT_POLL_INTERVAL) * 1000,
      onFile: (path, name) => this.handleJobFile(path, name),
      onError: (err, what) => this.log.error({ err, scheduler: this.name }, `try jobdir: failed ${what}`),
    });
    await this.watcher.start();
    this.log.info({ scheduler: this.name, jobdir: this.jobdir }, 'try scheduler watching its job directory');
  }

  protected override async deactivate(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
  }

  /** Handles every job file now in `new` (the watcher does this by itself; tests and tools may ask). */
  async runNow(): Promise<void> { await this.watcher?.scan(); }

  private async readBounded(path: string): Promise<Buffer | null> {
    const limit = this.spec.maxJobBytes ?? TRY_JOBDIR_DEFAULT_MAX_JOB_BYTES;
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      if (size > limit) {
        this.log.warn({ scheduler: this.name, file: path, size, limit }, `try job file ${path} is ${size} bytes, more than maxJobBytes ${limit}; ignored (send a smaller patch or raise maxJobBytes)`);
        return null;
      }
      return await fh.readFile();
    } finally { await fh.close(); }
  }

  private async handleJobFile(path: string, name: string): Promise<void> {
    const data = await this.readBounded(path);
    if (!data) return;
    let job;
    try { job = parseJobFile(data); } catch (err) {
      if (!(err instanceof TryJobFileError)) throw err;
      this.log.warn({ scheduler: this.name, file: path }, `bad try job file ${path}: ${err.message}; ignored`);
      return;
    }
    try {
      const { bsid, builderNames } = await this.addTryBuildset({
        who: job.who, comment: job.comment || null, builderNames: job.builderNames, properties: job.properties,
        externalIdstring: job.jobid || null,
        sourcestamps: [{ codebase: '', repository: job.repository, branch: job.branch, revision: job.baserev, project: job.project, patch: { level: job.patchLevel, body: job.patchBody } }],
      });
      this.log.info({ scheduler: this.name, file: name, jobid: job.jobid, bsid, builderNames, who: job.who }, 'try job accepted');
    } catch (err) {
      if (!(err instanceof TryJobError)) throw err;
      this.log.warn({ scheduler: this.name, file: path, jobid: job.jobid }, `try job ${path} refused: ${err.message}`);
    }
  }
}

/** `schedulers.tryJobdir`: Buildbot's ssh try path, job files in a directory. */
export const tryJobdirKind = schedulerKind({
  factory: (o: TryJobdirOptions) => schedulerSpec({ ...o, kind: 'tryJobdir' as const }),
  keys: [...TRY_COMMON_KEYS, 'jobdir', 'pollInterval', 'maxJobBytes'],
  check: (c, raw, out, ctx) => {
    const dir = str(c, raw, 'jobdir', { required: true, nonEmpty: true });
    if (dir) out.jobdir = isAbsolute(dir) || !ctx.masterDir ? dir : resolve(ctx.masterDir, dir);
    out.pollInterval = num(c, raw, 'pollInterval', { fallback: 10, min: 0.05 });
    out.maxJobBytes = num(c, raw, 'maxJobBytes', { fallback: 10 * 1024 * 1024, min: 1024, integer: true });
  },
  create: (spec, services) => new TryJobdirScheduler(spec, services),
});
