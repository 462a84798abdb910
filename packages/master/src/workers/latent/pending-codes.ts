/** The pending-reason codes latent workers add to the distributor's (process/distributor-types.ts spreads them into PendingCodes). */
export const LatentPendingCodes = {
  /** A latent worker the builder may use is being started for it (`workerNames`: which). */
  LATENT_WORKER_STARTING: 'latent_worker_starting',
  /** The latent workers the builder may use cannot be started now: their provider failed and is paused (`latent`: failures, last error, until when). */
  LATENT_PROVIDER_PAUSED: 'latent_provider_paused',
  /** Every instance of the latent pool the builder may use is running a build. */
  LATENT_POOL_FULL: 'latent_pool_full',
} as const;
