/**
 * Schedulers on the real data layer: SQLite in memory, the real event bus and DataConnector, and
 * the scheduler services a master would hand them. Tests wait for `buildsets.new` events, never sleep.
 */
import { openDatabase } from '../../src/db/index.js';
import { DataConnector } from '../../src/data/index.js';
import { InProcessMessageQueue } from '../../src/mq/bus.js';
import type { SchedulerServices } from '../../src/schedulers/base.js';

export interface BuildsetEvent { bsid: number; scheduler?: string }

export async function schedulersOnDataLayer() {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const masterid = await data.updates.masterActive('test-master');
  const services: SchedulerServices = { mq, updates: data.updates, reads: data, masterid };
  /** Every `buildsets.new` event so far, in order; `bsids` holds their ids. */
  const buildsets: BuildsetEvent[] = [];
  const bsids: number[] = [];
  const waiters: Array<() => void> = [];
  mq.subscribe<BuildsetEvent>(['buildsets', null, 'new'], (_k, bs) => { buildsets.push(bs); bsids.push(bs.bsid); for (const w of waiters.splice(0)) w(); });
  /** Resolves once `n` buildsets were announced. */
  const waitFor = async (n: number) => { while (buildsets.length < n) await new Promise<void>((r) => waiters.push(r)); };
  /** Completes every request of a buildset with `results` (as a build of this master would). */
  const finish = async (bsid: number, results: number) => {
    const brs = await data.getBuildRequestsForBuildset(bsid);
    await data.updates.claimBuildRequests(brs.map((b) => b.id));
    await data.updates.completeBuildRequests(brs.map((b) => b.id), results);
    await data.updates.maybeBuildsetComplete(bsid);
  };
  return { db, data, mq, services, buildsets, bsids, waitFor, finish };
}

/** A change as a change source would add it (branch main, codebase '', one file). */
export const change = (o: { branch?: string; revision: string; codebase?: string; repository?: string }) => ({
  author: 'a <a@x>', files: ['f.c'], comments: 'c', branch: o.branch ?? 'main', revision: o.revision, codebase: o.codebase ?? '', repository: o.repository ?? 'file:///r.git',
});
