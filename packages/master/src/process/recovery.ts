/**
 * Startup crash recovery: a master killed mid-build (SIGKILL, power loss) leaves builds without
 * complete_at and requests claimed by it. Before dispatching, the restarted master finishes those
 * builds as RETRY and unclaims the requests, so they run again and nothing stays "in progress".
 */
import type { Logger } from 'mastro-protocol';
import type { EngineData } from './engine-data.js';
import { Results } from '../model/results.js';

export interface RecoveryReport { retriedBuilds: number[]; unclaimedRequests: number[] }

/** Resource reads (the DataConnector's `get`) used to find a build's unfinished steps and logs. */
export interface ResourceReader {
  get(path: ReadonlyArray<string | number>): Promise<{ kind: string; items?: Record<string, any>[] }>;
}

async function collection(r: ResourceReader, path: Array<string | number>): Promise<Record<string, any>[]> {
  const res = await r.get(path);
  return res.kind === 'collection' ? res.items ?? [] : [];
}

export async function recoverInterruptedWork(data: EngineData, masterid: number, log: Logger, resources?: ResourceReader): Promise<RecoveryReport> {
  const { reads, updates } = data;
  const builds = await reads.getUnfinishedBuilds(masterid);
  for (const b of builds) {
    if (resources) {
      // Steps and logs that were running end too, so nothing is left "in progress".
      for (const step of await collection(resources, ['builds', b.id, 'steps'])) {
        if (step.complete) continue;
        for (const l of await collection(resources, ['steps', step.stepid, 'logs'])) if (!l.complete) await updates.finishLog(l.logid);
        await updates.setStepStateString(step.stepid, `${step.name} (interrupted by a master restart)`);
        await updates.finishStep(step.stepid, Results.RETRY, false);
      }
    }
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
