/**
 * What both try schedulers share (Buildbot's TryBase): a job names builders among the scheduler's
 * own, carries one or more SourceStamps with a patch, and becomes one buildset whose properties
 * say who asked. tryUserpass (HTTP) and tryJobdir (job files) only differ in how a job arrives.
 */
import type { SourceStampInput } from '../data/updates-api.js';
import type { SourcedProperties } from '../data/types.js';
import { BaseScheduler, type BaseSchedulerOptions } from './base.js';
import type { CommonSchedulerOptions } from './specs.js';
import type { TrySubmitted } from './try-protocol.js';
import { ErrorCodes } from '../errors/catalog.js';

/** A base revision a try job may name: a (possibly abbreviated) commit id, never something git would read as an option. */
export function isCommitId(revision: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(revision);
}

/** A job the scheduler cannot accept; the message names the field to fix. */
export class TryJobError extends Error {
  readonly code = ErrorCodes.TRY_JOB_INVALID;
  constructor(message: string) { super(message); this.name = 'TryJobError'; }
}

export interface TryJobSourceStamp {
  codebase?: string; repository?: string; branch?: string | null; project?: string;
  /** The base revision; null builds the branch head with the patch applied. */
  revision: string | null;
  /** Null builds the base as it is (`buildbot try` with an empty diff). */
  patch: { level: number; body: Buffer; subdir?: string | null } | null;
}

export interface TryJob {
  /** Who asked (the `owner` property); '' when unknown. */
  who: string;
  comment?: string | null;
  /** A subset of the scheduler's builders; empty or undefined: all of them. */
  builderNames?: readonly string[];
  properties?: Record<string, unknown>;
  sourcestamps: readonly TryJobSourceStamp[];
  /** The client's job id (Buildbot's external_idstring). */
  externalIdstring?: string | null;
}

type TryOptions = BaseSchedulerOptions & Pick<CommonSchedulerOptions, 'codebases'>;

export abstract class TryBaseScheduler<S extends TryOptions> extends BaseScheduler<S> {
  /** Buildbot's Try_Userpass adds the job's comment to the reason ("(comment)"); Try_Jobdir does not. */
  protected readonly reasonShowsComment: boolean = false;

  /** Checks the job against this scheduler and adds its buildset (durable before returning). */
  protected async addTryBuildset(job: TryJob): Promise<TrySubmitted & { brids: Record<number, number> }> {
    const builderNames = job.builderNames?.length ? [...job.builderNames] : [...this.spec.builderNames];
    for (const b of builderNames) {
      if (!this.spec.builderNames.includes(b)) throw new TryJobError(`builderNames: ${JSON.stringify(b)} is not one of this try scheduler's builders (${this.spec.builderNames.join(', ')})`);
    }
    if (!job.sourcestamps.length) throw new TryJobError('sourcestamps: give at least one {revision, patch}');
    const sourcestamps: SourceStampInput[] = job.sourcestamps.map((ss) => {
      const defaults = this.codebaseDefaults().get(ss.codebase ?? '') ?? {};
      return {
        codebase: ss.codebase ?? '', repository: ss.repository || defaults.repository || '', branch: ss.branch ?? defaults.branch ?? null,
        revision: ss.revision, project: ss.project || defaults.project || '',
        patch: ss.patch ? { level: ss.patch.level, body: ss.patch.body, subdir: ss.patch.subdir ?? null, author: job.who || null, comment: job.comment ?? null } : null,
      };
    });
    const properties: SourcedProperties = {};
    for (const [k, v] of Object.entries(job.properties ?? {})) properties[k] = [v, 'Try job'];
    if (job.who) properties.owner = [job.who, 'Try job'];
    const by = job.who ? ` by user ${job.who}` : '';
    const { bsid, brids } = await this.addBuildset({
      sourcestamps, builderNames, properties, externalIdstring: job.externalIdstring ?? null,
      reason: `'try' job${by}${this.reasonShowsComment && job.comment ? ` (${job.comment})` : ''}`,
    });
    // Acknowledge the job only once its buildset is on disk (the database commits writes in groups).
    await this.services.updates.durable?.();
    return { bsid, builderNames, brids };
  }
}
