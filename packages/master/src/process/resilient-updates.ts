/**
 * The data layer's writes as a running build makes them: each call that meets a database outage
 * (the server is down, the disk is full: db/outage.ts) is retried with backoff until the database
 * is back, for up to `timeoutMs`, so a build whose command ended during the outage still records
 * its step, its result and its requests right, instead of turning an outage into EXCEPTION. Other
 * errors pass through at once.
 *
 * The writes that close something (a step, a log, the build, its requests) also wait until they
 * are committed: SQLite commits a turn's writes together after the turn, and a commit that fails
 * (disk full) would otherwise undo a write this build already took as done.
 */
import type { Updates } from '../data/updates-api.js';
import type { DatabaseHealth } from '../db/health.js';
import { describeOutage } from '../db/outage.js';
import { retryThroughOutage } from '../db/outage-retry.js';
import type { Logger } from 'mastro-protocol';

const CLOSING = new Set<string | symbol>(['finishStep', 'finishLog', 'finishBuild', 'completeBuildRequests', 'unclaimBuildRequests']);

export interface ResilientUpdatesOptions {
  health: DatabaseHealth;
  /** How long one call keeps retrying, ms. */
  timeoutMs: number;
  log: Logger;
}

export function resilientUpdates(updates: Updates, o: ResilientUpdatesOptions): Updates {
  const wrapped = new Map<string | symbol, unknown>();
  const wrap = (prop: string | symbol, fn: (...args: unknown[]) => Promise<unknown>) => async (...args: unknown[]) => {
    let waited = false;
    const result = await retryThroughOutage(async () => {
      const r = await fn.apply(updates, args);
      if (CLOSING.has(prop)) await updates.durable?.();
      return r;
    }, {
      health: o.health,
      what: `the build's ${String(prop)}`,
      timeoutMs: o.timeoutMs,
      onRetry: (outage, attempt) => {
        if (attempt > 1) return;
        waited = true;
        o.log.warn({ write: String(prop), reason: outage.reason }, `${describeOutage(outage)}; the build's ${String(prop)} waits for it (db.outageTimeout)`);
      },
    });
    if (waited) o.log.info({ write: String(prop) }, `the build's ${String(prop)} was stored after the database came back`);
    return result;
  };
  return new Proxy(updates, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'durable') return v;
      let w = wrapped.get(prop);
      if (!w) wrapped.set(prop, (w = wrap(prop, v as (...args: unknown[]) => Promise<unknown>)));
      return w;
    },
  });
}
