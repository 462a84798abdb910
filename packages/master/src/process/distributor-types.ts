/** Types shared by the builder, the request distributor and the botmaster. */
import { LatentPendingCodes } from '../workers/latent/pending-codes.js';
export type { BuildRequestRow } from '../data/updates-api.js';
export type { PendingReason } from '../data/types.js';

/** Stable codes of PendingReason.code (documented for API users). */
export const PendingCodes = {
  /** The dispatcher has not looked at the request yet (just submitted, or the master is starting). */
  WAITING_FOR_DISPATCH: 'waiting_for_dispatch',
  /** No builder of that name runs on this master (yet). */
  BUILDER_NOT_CONFIGURED: 'builder_not_configured',
  BUILDER_PAUSED: 'builder_paused',
  /** None of the builder's workers is connected. */
  NO_WORKER_CONNECTED: 'no_worker_connected',
  /** No connected worker has every tag of the builder's workerTags (`missingTags`: those no worker has). */
  NO_WORKER_WITH_TAGS: 'no_worker_with_tags',
  /** Every connected worker is at maxBuilds or already runs a build of this builder. */
  ALL_WORKERS_BUSY: 'all_workers_busy',
  /** A worker is free but a lock the builder needs is held (see `lock`). */
  WAITING_FOR_LOCK: 'waiting_for_lock',
  /** The builder's canStartBuild hook refused every free worker. */
  CAN_START_BUILD_REFUSED: 'can_start_build_refused',
  /** The nextWorker hook chose no worker. */
  NEXT_WORKER_DECLINED: 'next_worker_declined',
  /** Other requests of the builder are ahead of this one. */
  QUEUED_BEHIND_OTHERS: 'queued_behind_others',
  /** The master is shutting down and starts no new builds. */
  MASTER_STOPPING: 'master_stopping',
  /** Latent workers: one is starting for the builder, their provider is paused after failures, a latent pool is at its max. */
  ...LatentPendingCodes,
} as const;
