/**
 * The rows db/ reads and writes, shaped as the tables store them (not as REST shows them): db/ owns
 * them, as Buildbot's db/ owns its models, and data/ re-exports those its API shows.
 */

/** A property value with its source, as Buildbot's `SourcedProperties`: name -> [value, source]. */
export type SourcedProperties = Record<string, [unknown, string]>;

/** Buildbot's log types: stdio (stream-coded lines), text, HTML, and 'd' for a log whose content the janitor deleted. */
export type LogType = 's' | 't' | 'h' | 'd';

export interface StepUrl { name: string; url: string }

export interface PatchInput {
  level: number; body: Buffer | string; subdir?: string | null; author?: string | null; comment?: string | null;
}

export interface SourceStampInput {
  codebase?: string; repository?: string; branch?: string | null; revision?: string | null;
  project?: string; patch?: PatchInput | null;
}

export interface BuildRequestRow {
  id: number; buildsetid: number; builderid: number; priority: number; submitted_at: number;
  waited_for: boolean; complete: boolean; results: number | null; complete_at: number | null;
  claimed_by_masterid: number | null; claimed_at: number | null;
}

export interface BuildsetRow {
  id: number; external_idstring: string | null; reason: string; submitted_at: number; complete: boolean;
  complete_at: number | null; results: number | null; parent_buildid: number | null;
  parent_relationship: string | null; properties: SourcedProperties; sourcestampids: number[];
}

export interface SourceStampRow {
  ssid: number; branch: string | null; revision: string | null; repository: string; project: string;
  codebase: string; created_at: number;
  patch: { patchid: number; level: number; body: Buffer; subdir: string | null; author: string | null; comment: string | null } | null;
}

export interface ChangeRow {
  changeid: number; author: string; committer: string | null; files: string[]; comments: string;
  revision: string | null; when_timestamp: number; branch: string | null; category: string | null;
  revlink: string | null; properties: SourcedProperties; repository: string; codebase: string;
  project: string; sourcestampid: number; parent_changeids: number[];
}

export interface BuildRow {
  id: number; number: number; builderid: number; buildrequestid: number; workerid: number; masterid: number;
  started_at: number; complete_at: number | null; results: number | null; state_string: string;
}
