/**
 * Table types for Kysely, following Buildbot 3.7's model (buildbot/db/model.py). Booleans are stored
 * as 0/1 integers and times as integer epoch seconds on both engines, as Buildbot does. JSON columns
 * are text holding JSON.
 */
import type { Generated } from 'kysely';

export interface MastersTable { id: Generated<number>; name: string; active: number; last_active: number }

export interface BuildersTable {
  id: Generated<number>; name: string; description: string | null; tags_json: string;
}
export interface BuildersMastersTable { id: Generated<number>; builderid: number; masterid: number }

export interface PatchesTable {
  id: Generated<number>; patchlevel: number; patch_body: Buffer; patch_author: string | null;
  patch_comment: string | null; subdir: string | null;
}

export interface SourcestampsTable {
  id: Generated<number>; ss_hash: string; branch: string | null; revision: string | null;
  patchid: number | null; repository: string; codebase: string; project: string; created_at: number;
}

export interface ChangesTable {
  changeid: Generated<number>; author: string; committer: string | null; comments: string;
  branch: string | null; revision: string | null; revlink: string | null; when_timestamp: number;
  category: string | null; repository: string; codebase: string; project: string; sourcestampid: number;
  parent_changeids: number | null;
}
export interface ChangeFilesTable { changeid: number; filename: string }
export interface ChangePropertiesTable { changeid: number; property_name: string; property_value: string }

export interface BuildsetsTable {
  id: Generated<number>; external_idstring: string | null; reason: string; submitted_at: number;
  complete: number; complete_at: number | null; results: number | null; parent_buildid: number | null;
  parent_relationship: string | null;
}
export interface BuildsetPropertiesTable { buildsetid: number; property_name: string; property_value: string }
export interface BuildsetSourcestampsTable { id: Generated<number>; buildsetid: number; sourcestampid: number }

export interface BuildrequestsTable {
  id: Generated<number>; buildsetid: number; builderid: number; priority: number; complete: number;
  results: number | null; submitted_at: number; complete_at: number | null; waited_for: number;
}
export interface BuildrequestClaimsTable { brid: number; masterid: number; claimed_at: number }

export interface BuildsTable {
  id: Generated<number>; number: number; builderid: number; buildrequestid: number; workerid: number;
  masterid: number; started_at: number; complete_at: number | null; state_string: string; results: number | null;
}
export interface BuildPropertiesTable { buildid: number; name: string; value: string; source: string }

export interface StepsTable {
  id: Generated<number>; number: number; name: string; buildid: number; started_at: number | null;
  complete_at: number | null; state_string: string; results: number | null; urls_json: string; hidden: number;
}

export interface LogsTable {
  id: Generated<number>; name: string; slug: string; stepid: number; complete: number; num_lines: number;
  type: string;
}
/** Lines first_line..last_line (inclusive, 0-based) of a log; `compressed` 0 = raw utf-8, 1 = zlib deflate. */
export interface LogchunksTable {
  logid: number; first_line: number; last_line: number; content: Buffer; compressed: number;
  /** The one stream ('o', 'e', 'h') of an 's' log chunk stored without per-line codes; else null. */
  stream: string | null;
}

export interface WorkersTable {
  id: Generated<number>; name: string; info_json: string; paused: number; graceful: number;
  /** mastro (migration 6): the worker's pool (null: a named worker), effective tags, platform; last (dis)connection and when a pool worker was forgotten (epoch s). */
  pool: string | null; tags_json: Generated<string>; os: string | null; arch: string | null;
  last_seen_at: number | null; forgotten_at: number | null;
}
export interface ConfiguredWorkersTable { id: Generated<number>; buildermasterid: number; workerid: number }
export interface ConnectedWorkersTable { id: Generated<number>; masterid: number; workerid: number }

export interface SchedulersTable { id: Generated<number>; name: string; enabled: number }
export interface SchedulerMastersTable { schedulerid: number; masterid: number }
export interface SchedulerChangesTable { schedulerid: number; changeid: number; important: number }

export interface ObjectsTable { id: Generated<number>; name: string; class_name: string }
export interface ObjectStateTable { objectid: number; name: string; value_json: string }

/** A web UI session; `id_hash` = SHA-256 (hex) of the cookie token, times in epoch milliseconds. */
export interface WebSessionsTable {
  id_hash: string; identity_json: string; csrf_token: string; created_at_ms: number; expires_at_ms: number;
}

/** A webhook delivery already recorded: SHA-256 (hex) of the dialect's replay key, arrival in epoch milliseconds. */
export interface HookDeliveriesTable { dialect: string; key_hash: string; received_at_ms: number }

/**
 * A report to deliver (or delivered, or given up on): one event for one reporter generator
 * (db/tables/reporter-outbox.ts). `state` 0 pending, 1 delivered, 2 failed; times in epoch ms.
 */
export interface ReporterOutboxTable {
  id: Generated<number>; reporter: string; generator: number; event: string; subject_id: number; payload_json: string | null;
  order_key: string; state: number; attempts: number; created_at_ms: number; next_attempt_at_ms: number;
  claimed_by: number | null; claimed_at_ms: number | null; done_at_ms: number | null; last_error: string | null; last_error_at_ms: number | null;
}

export interface MigrationsTable { version: number; name: string; applied_at: number }

/** PostgreSQL only: exact row counts kept by triggers (db/row-counts.ts). */
export interface RowCountsTable { table_name: string; n: number }

export interface Schema {
  masters: MastersTable;
  builders: BuildersTable; builders_masters: BuildersMastersTable;
  patches: PatchesTable; sourcestamps: SourcestampsTable;
  changes: ChangesTable; change_files: ChangeFilesTable; change_properties: ChangePropertiesTable;
  buildsets: BuildsetsTable; buildset_properties: BuildsetPropertiesTable; buildset_sourcestamps: BuildsetSourcestampsTable;
  buildrequests: BuildrequestsTable; buildrequest_claims: BuildrequestClaimsTable;
  builds: BuildsTable; build_properties: BuildPropertiesTable;
  steps: StepsTable; logs: LogsTable; logchunks: LogchunksTable;
  workers: WorkersTable; configured_workers: ConfiguredWorkersTable; connected_workers: ConnectedWorkersTable;
  schedulers: SchedulersTable; scheduler_masters: SchedulerMastersTable; scheduler_changes: SchedulerChangesTable;
  objects: ObjectsTable; object_state: ObjectStateTable;
  web_sessions: WebSessionsTable;
  hook_deliveries: HookDeliveriesTable;
  reporter_outbox: ReporterOutboxTable;
  mastro_migrations: MigrationsTable;
  mastro_row_counts: RowCountsTable;
}
