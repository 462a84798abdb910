/**
 * Startup crash recovery: a master killed mid-build (SIGKILL, power loss) leaves builds without
 * complete_at and requests claimed by it. Before dispatching, the restarted master finishes those
 * builds as RETRY and unclaims the requests, so they run again and nothing stays "in progress".
 */
import type { EngineData, EngineLogger } from './engine-data.js';
import { Results } from './results.js';

export interface RecoveryReport { retriedBuilds: number[]; unclaimedRequests: number[] }

export async function recoverInterruptedWork(data: EngineData, masterid: number, log: EngineLogger): Promise<RecoveryReport> {
  const { reads, updates } = data;
  const builds = await reads.getUnfinishedBuilds(masterid);
  for (const b of builds) {
    await updates.setBuildStateString(b.id, 'retry: interrupted by a master restart');
    await updates.finishBuild(b.id, Results.RETRY);
  }
  const claimed = await reads.getBuildRequestsClaimedBy(masterid);
  const brids = claimed.map((r) => r.id);
  if (brids.length) await updates.unclaimBuildRequests(brids);
  if (builds.length || brids.length) {
    log.warn({ builds: builds.map((b) => b.id), requests: brids }, 'recovered work interrupted by an earlier stop of this master: builds ended RETRY, requests queued again');
  }
  return { retriedBuilds: builds.map((b) => b.id), unclaimedRequests: brids };
}
