/** What every resource module gets: the database, the log writer, and the engine's pending-reason and lock-state sources. */
import type { Db } from '../../db/index.js';
import type { LogWriter } from '../log-writer.js';
import type { PendingReason } from '../types.js';
import type { LockState } from '../../process/locks.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import type { ColumnFilter } from '../../db/list-query.js';

export interface DataContext {
  db: Db;
  logs: LogWriter;
  pendingReason(brid: number): PendingReason | null;
  /** Locks held or waited for now (empty when no engine registered a provider). */
  lockStates(): LockState[];
  /** The reporters and their delivery counts (empty when the master registered no provider). */
  reporterStates(): Promise<Record<string, unknown>[]>;
  /** A latent worker's state on this master (provider, starting/running, failures); null for other workers. */
  latentState(workerName: string): Record<string, unknown> | null;
}

export type Kwargs = Record<string, string | number>;

/** What an endpoint resolves to: an entity, a collection to run a ResultSpec on, or raw content. */
export type EndpointResult =
  | { kind: 'entity'; item: Record<string, any> }
  | { kind: 'collection'; source: CollectionSource<any>; scope?: ColumnFilter[] }
  | { kind: 'raw'; filename: string; mimeType: string; stream: AsyncIterable<Buffer> }
  | null;

export interface Endpoint {
  /** Path pattern in Buildbot's notation: `builders/n:builderid/builds/n:number`; n: = number, i: = identifier. */
  pattern: string;
  /** Plural name of the resource type, the key of the REST answer (`builds`). */
  type: string;
  get(ctx: DataContext, kw: Kwargs, spec: ResultSpec): Promise<EndpointResult>;
}

/** Helpers to resolve the many ways Buildbot nests builds, steps and logs in a path. */
export async function resolveBuilderId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.builderid !== undefined) return Number(kw.builderid);
  if (kw.buildername !== undefined) return ctx.db.builders.findId(String(kw.buildername));
  return undefined;
}

export async function resolveBuildId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.buildid !== undefined) return Number(kw.buildid);
  const builderid = await resolveBuilderId(ctx, kw);
  if (builderid === undefined || kw.build_number === undefined) return undefined;
  return (await ctx.db.builds.getByNumber(builderid, Number(kw.build_number)))?.id;
}

export async function resolveStepId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.stepid !== undefined) return Number(kw.stepid);
  const buildid = await resolveBuildId(ctx, kw);
  if (buildid === undefined) return undefined;
  const step = kw.step_number !== undefined
    ? await ctx.db.steps.getInBuild(buildid, { number: Number(kw.step_number) })
    : await ctx.db.steps.getInBuild(buildid, { name: String(kw.step_name) });
  return step?.id;
}

/** Wraps an entity getter as an endpoint result (null = 404). */
export const entity = (item: Record<string, any> | undefined | null): EndpointResult => (item ? { kind: 'entity', item } : null);
