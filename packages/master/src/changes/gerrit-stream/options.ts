/**
 * Options of the Gerrit stream-events source (`changes.gerritStream({...})`): where the events come
 * from (ssh to the server, or any command printing them), how often to reconnect, and the
 * mapping shared with the Gerrit webhook. Checked here when the config loads.
 */
import { brand } from '../../model/config-brand.js';
import type { IssueCollector } from '../../model/config-errors.js';
import { describe, num, optStr } from '../../model/config-checks.js';
import type { GerritMappingOptions } from './source.js';

export interface GerritStreamOptions extends GerritMappingOptions {
  /** Name of the source. Default `gerrit:<user>@<host>:<port>`. */
  name?: string;
  server?: string;
  username?: string;
  port?: number;
  /** SSH private key file passed with -i. */
  identityFile?: string;
  /** The full command to run instead of ssh (argv); it must print one JSON event per line. */
  command?: string[];
  /** Backoff between restarts, seconds: from min, times 1.5 per failure, up to max. Defaults 0.5 and 60. */
  backoffMin?: number;
  backoffMax?: number;
  /** A connection that lasted this long (seconds) resets the backoff. Default 120. */
  goodConnectionTime?: number;
  /** Longest accepted line (one event), bytes; longer lines are dropped with a warning. Default 4 MiB. */
  maxLineBytes?: number;
}

export type GerritStreamSpec = { kind: 'gerritStream' } & GerritStreamOptions;

/** `changes.gerritStream({...})`. */
export function gerritStream(o: GerritStreamOptions): GerritStreamSpec {
  return brand('changeSource', { ...o, kind: 'gerritStream' as const });
}

/** The option names (the schema test compares the published schema with them). */
export const GERRIT_STREAM_KEYS = ['kind', 'name', 'server', 'username', 'port', 'identityFile', 'command', 'backoffMin', 'backoffMax', 'goodConnectionTime',
  'maxLineBytes', 'gitBaseURL', 'handledEvents', 'source'];

/** Checks the options (every mistake with its path) and fills the port and the name. */
export function normaliseGerritStream(raw: Record<string, unknown>, c: IssueCollector): GerritStreamSpec | null {
  const server = optStr(c, raw, 'server');
  const username = optStr(c, raw, 'username');
  const command = raw.command;
  if (command !== undefined && (!Array.isArray(command) || !command.length || !command.every((x) => typeof x === 'string'))) {
    c.add('command', `must be a non-empty argv list such as ['ssh', '-p', '29418', 'me@gerrit', 'gerrit', 'stream-events'], got ${describe(command)}`);
  }
  if (command === undefined && !(server && username)) { c.here("needs 'server' and 'username' (to run ssh ... gerrit stream-events) or 'command'"); return null; }
  const port = num(c, raw, 'port', { fallback: 29418, min: 1, max: 65535, integer: true });
  for (const k of ['backoffMin', 'backoffMax', 'goodConnectionTime', 'maxLineBytes'] as const) if (raw[k] !== undefined) num(c, raw, k, { fallback: 1, min: 0.001 });
  return { ...(raw as object), kind: 'gerritStream', port, name: optStr(c, raw, 'name') ?? `gerrit:${username ?? ''}@${server ?? 'command'}:${port}` } as GerritStreamSpec;
}
