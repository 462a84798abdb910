/**
 * What /readyz checks: the database answers a query within `monitoring.readyTimeout`, the worker
 * port is open, and a config is loaded and the master is not stopping (a graceful stop takes no new
 * work, so a load balancer should look elsewhere). Each check reports its own error.
 */
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { redactUrl } from '../util/url-credentials.js';
import type { ReadyCheck, ReadyReport } from '../www/monitoring/routes.js';

export interface ReadinessSources {
  db: () => Db | undefined;
  workersListening: () => boolean;
  /** The loaded config's file, or null when none is loaded yet. */
  configFile: () => string | null | undefined;
  stopping: () => boolean;
  timeoutMs: () => number;
}

export async function checkReadiness(s: ReadinessSources): Promise<ReadyReport> {
  const checks: Record<string, ReadyCheck> = {
    database: await databaseCheck(s.db(), s.timeoutMs()),
    workerPort: s.workersListening() ? { ok: true } : { ok: false, error: 'the worker port is not listening' },
    config: s.stopping() ? { ok: false, error: 'the master is stopping' }
      : s.configFile() === undefined ? { ok: false, error: 'no config is loaded yet' } : { ok: true },
  };
  const failed = Object.entries(checks).filter(([, c]) => !c.ok);
  return failed.length
    ? { ready: false, checks, reason: failed.map(([name, c]) => `${name}: ${c.error}`).join('; ') }
    : { ready: true, checks };
}

async function databaseCheck(db: Db | undefined, timeoutMs: number): Promise<ReadyCheck> {
  if (!db) return { ok: false, error: 'the database is not open yet' };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db.kysely),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms (monitoring.readyTimeout)`)), timeoutMs); }),
    ]);
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { errors?: Error[] };
    // pg reports a refused connection to every address of "localhost" as an AggregateError with no message.
    const message = e.message || e.errors?.map((x) => x.message).join(', ') || e.code || String(err);
    return { ok: false, error: redactUrl(message) };
  } finally {
    clearTimeout(timer);
  }
}
