/**
 * The worker actions of MasterControl (pause, graceful shutdown, kill), over the parts the
 * composition root owns: the botmaster decides what runs where, the worker manager holds the
 * connections, data/ records the worker's state.
 */
import type { Logger } from 'mastro-protocol';
import type { Botmaster } from '../process/botmaster.js';
import type { WorkerManager } from '../workers/index.js';
import type { DataConnector } from '../data/index.js';

export interface WorkerControlParts { botmaster: Botmaster; workers: WorkerManager; data: DataConnector; log: Logger }

/** No new builds for the worker; once its running builds end it is told to shut down. False when it is not connected. */
export function shutdownWorkerGracefully(parts: WorkerControlParts, name: string): boolean {
  const { botmaster, workers, data, log } = parts;
  const remote = workers.getWorker(name);
  if (!remote) return false;
  botmaster.setWorkerPaused(name, true);
  const running = botmaster.runningBuilds().filter((b) => b.workerName === name);
  // Shut the worker down once its running builds are over; it is told to stop, not cut off.
  // The pause belongs to this connection: when the worker comes back, it gets builds again.
  void Promise.all(running.map((b) => b.finished)).then(async () => {
    try { await remote.shutdown(); } catch (err) { log.warn({ err, worker: name }, 'graceful worker shutdown failed'); }
    botmaster.setWorkerPaused(name, false);
    const workerid = await data.updates.findWorkerId(name);
    await data.updates.setWorkerState(workerid, { paused: false, graceful: false });
  }).catch((err) => log.warn({ err, worker: name }, 'clearing the graceful state of a worker failed'));
  return true;
}

/** Drops the worker's connection now (its running builds end RETRY). False when it is not connected. */
export function killWorker(parts: Pick<WorkerControlParts, 'workers'>, name: string, reason: string): boolean {
  const remote = parts.workers.getWorker(name);
  if (!remote) return false;
  // A WebSocket close reason is at most 123 bytes.
  remote.disconnect(1000, reason.slice(0, 120));
  return true;
}
