/**
 * The operations sections of the config: `monitoring` (GET /metrics, /healthz, /readyz) and `log`
 * (rotation of mastro.log). Kept apart from normalise.ts, which calls these two functions.
 */
import { bool, describe, isPlainObject, knownKeys, num, numOrNull, optStr, port as portNumber, type Obj } from '../model/config-checks.js';
import type { IssueCollector } from '../model/config-errors.js';
import type { MasterConfig } from './types.js';

export const MONITORING_KEYS = ['metrics', 'port', 'host', 'readyTimeout'];
export const LOG_KEYS = ['rotateLength', 'maxRotatedFiles'];

export const OPERATIONS_DEFAULTS = {
  /** Seconds /readyz gives the database to answer `SELECT 1`: a probe that hangs tells nothing. */
  readyTimeout: 5,
  /** Buildbot's buildbot.tac: `rotateLength = 10000000`, `maxRotatedFiles = 10`. */
  rotateLength: 10_000_000,
  maxRotatedFiles: 10,
} as const;

function section(c: IssueCollector, r: Obj, key: string, keys: string[], shape: string): Obj {
  const raw = r[key];
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) { c.add(key, `must be an object ${shape}, got ${describe(raw)}`); return {}; }
  knownKeys(c.at(key), raw, keys);
  return raw;
}

/** `monitoring: { metrics?, port?, host?, readyTimeout? }`; `wwwHost` is the default host of its own port. */
export function normaliseMonitoring(c: IssueCollector, r: Obj, wwwHost: string | undefined, usedPorts: Array<[string, number]>): MasterConfig['monitoring'] {
  const o = section(c, r, 'monitoring', MONITORING_KEYS, '{ metrics, port, host, readyTimeout }');
  const mc = c.at('monitoring');
  const port = o.port === undefined || o.port === null ? null : portNumber(mc, o, 'port', 0);
  const host = optStr(mc, o, 'host') ?? wwwHost ?? '0.0.0.0';
  if (host === '') mc.add('host', 'must not be empty');
  if (port) for (const [what, used] of usedPorts) if (used === port) mc.add('port', `is also ${what} (${used}); use a port of its own or leave monitoring.port out to serve /metrics on the web port`);
  return {
    metrics: bool(mc, o, 'metrics', true),
    port,
    host,
    readyTimeout: num(mc, o, 'readyTimeout', { fallback: OPERATIONS_DEFAULTS.readyTimeout, min: 0.001 }),
  };
}

/** `log: { rotateLength?, maxRotatedFiles? }`. */
export function normaliseLogFile(c: IssueCollector, r: Obj): MasterConfig['log'] {
  const o = section(c, r, 'log', LOG_KEYS, '{ rotateLength, maxRotatedFiles }');
  const lc = c.at('log');
  return {
    // Below 1 KiB a file would hold a line or two: a mistake (a count of megabytes meant), not a wish.
    rotateLength: numOrNull(lc, o, 'rotateLength', { fallback: OPERATIONS_DEFAULTS.rotateLength, min: 1024, integer: true }),
    maxRotatedFiles: numOrNull(lc, o, 'maxRotatedFiles', { fallback: OPERATIONS_DEFAULTS.maxRotatedFiles, min: 0, integer: true }),
  };
}
