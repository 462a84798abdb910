/** The mirror poller: many repositories mirrored locally, Changes and post-receive hooks per cycle. */
export { MirrorPoller, createMirrorPoller, type MirrorPollerServices, type RepoPollResult } from './poller.js';
export { mirrorPoller, resolveMirrorOptions, MIRROR_DEFAULTS, type MirrorPollerOptions, type MirrorPollerSpec, type MirrorRepositorySpec, type ForgeDiscovery, type ForgeKind } from './options.js';
export type { MirrorPollerStatus, MirrorRepoStatus, MirrorCycleStatus } from './status.js';
export { diffRefs, postReceiveInput, ZERO_ID, type RefUpdate } from './refs.js';
export { forgeRepositories, globRepositories, nextLink, type MirrorRepository } from './discovery.js';
