/**
 * The scheduler side of overlapping-build policies: after a scheduler with `overlap: 'collapse' |
 * 'cancel-in-progress'` adds a buildset, it announces the buildset's concurrency group on the bus
 * (['concurrency', group, 'new']). The engine (process/concurrency.ts) keeps the open buildsets of
 * each group and supersedes the older ones. The group key includes the branches of the buildset,
 * so builds of `main` never cancel builds of a feature branch.
 */
import type { SourceStampInput } from '../data/updates-api.js';
import type { OverlapPolicy } from './specs.js';
import type { SchedulerServices } from './base.js';

export interface ConcurrencyAnnouncement {
  bsid: number;
  /** Group name plus branches, e.g. 'ci@main'. */
  group: string;
  policy: Exclude<OverlapPolicy, 'queue'>;
}

/** Routing key of announcements: ['concurrency', <group key>, 'new']. */
export const CONCURRENCY_TOPIC = 'concurrency';

export async function announceConcurrency(
  services: SchedulerServices,
  a: { bsid: number; group: string; policy: OverlapPolicy; sourcestamps: ReadonlyArray<number | SourceStampInput> },
): Promise<void> {
  if (a.policy === 'queue') return;
  const branches: string[] = [];
  for (const ss of a.sourcestamps) {
    if (typeof ss === 'number') {
      const row = await services.reads?.getSourceStamp?.(ss);
      branches.push(`${row?.codebase ?? ''}:${row?.branch ?? ''}`);
    } else branches.push(`${ss.codebase ?? ''}:${ss.branch ?? ''}`);
  }
  const group = `${a.group}@${branches.sort().join(',')}`;
  const msg: ConcurrencyAnnouncement = { bsid: a.bsid, group, policy: a.policy };
  services.mq.publish([CONCURRENCY_TOPIC, group, 'new'], msg);
}
