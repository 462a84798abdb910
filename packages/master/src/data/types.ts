/**
 * Resource shapes of the data API, field for field as Buildbot 3.7's data layer (buildbot/data/*.py)
 * returns them over REST and in events. Times are integer epoch seconds, as in Buildbot.
 */
import type { LogType, SourcedProperties, StepUrl } from '../db/rows.js';

export type { LogType, SourcedProperties, StepUrl } from '../db/rows.js';

export interface MasterResource { masterid: number; name: string; active: boolean; last_active: number }

export interface BuilderResource {
  builderid: number; name: string; masterids: number[]; description: string | null; tags: string[];
}

export interface PatchResource {
  patchid: number; body: string /* base64 in the REST shape is not used by Buildbot: raw text */;
  level: number; subdir: string | null; author: string | null; comment: string | null;
}

export interface SourceStampResource {
  ssid: number; revision: string | null; branch: string | null; repository: string; project: string;
  codebase: string; patch: PatchResource | null; created_at: number;
}

export interface ChangeResource {
  changeid: number; parent_changeids: number[]; author: string;
  /** null when the change source did not say (Buildbot's base hook without a committer field). */
  committer: string | null; files: string[];
  comments: string; revision: string | null; when_timestamp: number; branch: string | null;
  category: string | null; revlink: string | null; properties: SourcedProperties; repository: string;
  project: string; codebase: string; sourcestamp: SourceStampResource;
}

export interface BuildsetResource {
  bsid: number; external_idstring: string | null; reason: string; submitted_at: number;
  complete: boolean; complete_at: number | null; results: number | null;
  sourcestamps: SourceStampResource[]; parent_buildid: number | null; parent_relationship: string | null;
}

/** Machine-readable reason why a request is still pending (mastro extension; Buildbot has none). */
export interface PendingReason {
  /** Stable code, e.g. 'no_worker_connected', 'all_workers_busy', 'waiting_for_lock', 'can_start_build_refused'. */
  code: string;
  message: string;
  [detail: string]: unknown;
}

export interface BuildRequestResource {
  buildrequestid: number; buildsetid: number; builderid: number; priority: number; claimed: boolean;
  claimed_at: number | null; claimed_by_masterid: number | null; complete: boolean; results: number | null;
  submitted_at: number; complete_at: number | null; waited_for: boolean;
  properties: SourcedProperties | null;
  /** mastro extension: null when claimed/complete or when the engine has nothing to say. */
  pending_reason: PendingReason | null;
}

export interface BuildResource {
  buildid: number; number: number; builderid: number; buildrequestid: number; workerid: number;
  masterid: number; started_at: number; complete: boolean; complete_at: number | null;
  results: number | null; state_string: string; properties: SourcedProperties | null;
}

export interface StepResource {
  stepid: number; number: number; name: string; buildid: number; started_at: number | null;
  complete: boolean; complete_at: number | null; results: number | null; state_string: string;
  urls: StepUrl[]; hidden: boolean;
}

export interface LogResource {
  logid: number; name: string; slug: string; stepid: number; complete: boolean; num_lines: number; type: LogType;
}

/** Payload of ['logs', id, 'append']: the log resource plus the appended lines, for live streaming. */
export interface LogAppendEvent extends LogResource { firstline: number; content: string }

export interface LogChunkResource { logid: number; firstline: number; content: string }

export interface WorkerResource {
  workerid: number; name: string;
  connected_to: Array<{ masterid: number }>;
  configured_on: Array<{ masterid: number; builderid: number }>;
  workerinfo: Record<string, unknown>; paused: boolean; graceful: boolean;
  /** mastro: the worker's pool (null: a named worker), its effective tags (os=, arch=, own, pool's) and platform. */
  pool: string | null; tags: string[]; os: string | null; arch: string | null;
  /**
   * mastro: a latent worker's state on this master: `{ provider, pool, state: idle|substantiating|substantiated|insubstantiating,
   * instance, since, failures, lastError, pausedUntil }`; null for other workers.
   */
  latent: Record<string, unknown> | null;
}

export interface SchedulerResource {
  schedulerid: number; name: string; enabled: boolean; master: MasterResource | null;
}
