/**
 * Generator kinds by the spec's `kind` (`generators.buildStatus({...})` gives kind 'buildStatus'):
 * each has its option names, its checks and how to make the running Generator. A new generator is
 * its file plus one line here (and its line in ../specs.ts and the schema).
 */
import type { IssueCollector } from '../../model/config-errors.js';
import type { Obj } from '../../model/config-checks.js';
import type { Generator, GeneratorSpec } from '../base.js';
import type { MessageType } from '../message/formatter.js';
import type { CheckContext } from './filters.js';
import { BUILD_STATUS_KEYS, checkBuildStatus, createBuildStatus } from './build-status.js';
import { BUILD_START_END_KEYS, checkBuildStartEnd, createBuildStartEnd } from './build-start-end.js';
import { BUILDSET_STATUS_KEYS, checkBuildSetStatus, createBuildSetStatus } from './buildset-status.js';
import { WORKER_MISSING_KEYS, checkWorkerMissing, createWorkerMissing } from './worker-missing.js';

export interface GeneratorKind {
  readonly optionKeys: readonly string[];
  check(c: IssueCollector, o: Obj, ctx: CheckContext): void;
  /** `templateType`: the reporter's default (json for HTTP push, html for mail) when the generator's formatter names none. */
  create(spec: GeneratorSpec, defaults: { templateType?: MessageType }): Generator;
}

export const GENERATOR_KINDS: Readonly<Record<string, GeneratorKind>> = {
  buildStatus: { optionKeys: BUILD_STATUS_KEYS, check: checkBuildStatus, create: createBuildStatus },
  buildStartEnd: { optionKeys: BUILD_START_END_KEYS, check: checkBuildStartEnd, create: createBuildStartEnd },
  buildSetStatus: { optionKeys: BUILDSET_STATUS_KEYS, check: checkBuildSetStatus, create: createBuildSetStatus },
  workerMissing: { optionKeys: WORKER_MISSING_KEYS, check: checkWorkerMissing, create: createWorkerMissing },
};

export type { CheckContext };
