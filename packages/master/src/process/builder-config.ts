/**
 * Builders as a config declares them (`builder({...})`, BuilderOptions) and in their normalised form
 * (BuilderConfig) the engine runs on. The engine owns these types; config/types.ts assembles them into
 * MasterConfig and re-exports them for users. The hook signatures are typed loosely so a config does
 * not have to import engine types to write `canStartBuild: (b, w, req) => ...`.
 */
import type { StepFactory } from './step-types.js';
import type { LockAccess } from './lock-types.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type CollapseRequestsFn = (master: any, builder: any, req1: any, req2: any) => boolean | Promise<boolean>;
export type CanStartBuildFn = (builder: any, worker: any, request: any) => boolean | Promise<boolean>;
export type NextWorkerFn = (builder: any, workers: any[], request: any) => any | Promise<any>;
export type NextBuildFn = (builder: any, requests: any[]) => any | Promise<any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface BuilderOptions {
  name: string;
  /** The workers (named in `workers`) that may run it; may be left out when `workerTags` selects them. */
  workerNames?: string[];
  /**
   * Tags a worker must all have to run it (`['os=linux', 'docker']`): its `os=`/`arch=`, its own
   * tags and its pool's. With `workerNames` a worker must be listed and have the tags.
   */
  workerTags?: string[];
  steps: StepFactory[];
  /** true: Buildbot's default rule (same sourcestamps, no patches); false: never; or a function. Default: the master's `collapseRequests`. */
  collapseRequests?: boolean | CollapseRequestsFn;
  canStartBuild?: CanStartBuildFn;
  nextWorker?: NextWorkerFn;
  nextBuild?: NextBuildFn;
  /** Locks held for the whole build. */
  locks?: LockAccess[];
  /** Properties every build of this builder gets (source 'Builder'). */
  properties?: Record<string, unknown>;
  /** Properties set only when no scheduler/change provided them. */
  defaultProperties?: Record<string, unknown>;
  tags?: string[];
  description?: string | null;
  /** Directory on the master for this builder's files. Default: a safe form of the name. */
  builddir?: string;
  /** Directory on the worker (relative to its basedir). Default: a safe form of the name. */
  workerbuilddir?: string;
  /** Environment added to every command of every build. */
  env?: Record<string, string>;
  /** Higher first when several builders compete for a worker. Default 0. */
  priority?: number;
  project?: string | null;
}

export interface BuilderConfig {
  readonly name: string;
  readonly workerNames: readonly string[];
  /** Empty: the builder selects by `workerNames` only. */
  readonly workerTags: readonly string[];
  readonly steps: readonly StepFactory[];
  /** Already resolved against the master's default. */
  readonly collapseRequests: boolean | CollapseRequestsFn;
  readonly canStartBuild: CanStartBuildFn | null;
  readonly nextWorker: NextWorkerFn | null;
  readonly nextBuild: NextBuildFn | null;
  readonly locks: readonly LockAccess[];
  readonly properties: Readonly<Record<string, unknown>>;
  readonly defaultProperties: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  readonly description: string | null;
  readonly builddir: string;
  readonly workerbuilddir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly project: string | null;
}
