/**
 * The wire format between `mastro try` and the try scheduler's HTTP endpoint (JSON over HTTP with
 * Basic auth). Kept in one place so client and server cannot drift apart.
 *   POST /try                  TryRequest            -> 201 TrySubmitted
 *   GET  /try/buildsets/:bsid                        -> 200 TryStatus
 * Errors are `{ error: string }` with a 4xx status that says what to fix.
 */
export interface TryPatch {
  /** -p level for `git apply` (1 for `git diff` output). */
  level: number;
  /** The diff, base64 (binary diffs survive). */
  body: string;
  /** Directory the patch applies in, relative to the checkout. Default ''. */
  subdir?: string;
}

export interface TrySourceStamp {
  codebase?: string; repository?: string; branch?: string | null;
  /** The base revision the patch applies to. */
  revision: string;
  project?: string;
  patch: TryPatch;
}

export interface TryRequest {
  who?: string;
  comment?: string;
  /** A subset of the scheduler's builders. Default: all of them. */
  builderNames?: string[];
  /** Build properties (source 'Try job'). */
  properties?: Record<string, unknown>;
  sourcestamps: TrySourceStamp[];
}

export interface TrySubmitted { bsid: number; builderNames: string[] }

export interface TryStatus {
  bsid: number;
  complete: boolean;
  /** Buildset result code (Buildbot's numbers), null until complete. */
  results: number | null;
  requests: Array<{ buildrequestid: number; builderName: string; complete: boolean; results: number | null }>;
}

export const TRY_DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
