/** Adapts a running `Master` (src/master.ts) to the ControlTarget the API uses. */
import type { Master } from '../../master.js';
import type { ControlTarget, ForceSchedulerLike } from './target.js';

function isForceScheduler(x: unknown): x is ForceSchedulerLike {
  const s = x as ForceSchedulerLike;
  return !!x && typeof s.plan === 'function' && typeof s.submit === 'function' && typeof s.toApi === 'function';
}

export function masterControlTarget(master: Master): ControlTarget {
  const runningOn = (name: string) => master.botmaster.runningBuilds().filter((b) => b.workerName === name);
  return {
    get masterid() { return master.masterid; },
    forceSchedulers: () => master.schedulerInstances().filter(isForceScheduler),
    stopBuild: (buildid, reason) => master.stopBuild(buildid, reason),
    rebuild: (buildid, reason) => master.rebuild(buildid, reason),
    setWorkerPaused: (name, paused) => master.botmaster.setWorkerPaused(name, paused),
    async shutdownWorkerGracefully(name) {
      const remote = master.workers.getWorker(name);
      if (!remote) return false;
      master.botmaster.setWorkerPaused(name, true);
      // Shut the worker down once its running builds are over; it is told to stop, not cut off.
      // The pause belongs to this connection: when the worker comes back, it gets builds again.
      void Promise.all(runningOn(name).map((b) => b.finished)).then(async () => {
        try { await remote.shutdown(); } catch (err) { master.log.warn({ err, worker: name }, 'graceful worker shutdown failed'); }
        master.botmaster.setWorkerPaused(name, false);
        const workerid = await master.data.updates.findWorkerId(name);
        await master.data.updates.setWorkerState(workerid, { paused: false, graceful: false });
      }).catch((err) => master.log.warn({ err, worker: name }, 'clearing the graceful state of a worker failed'));
      return true;
    },
    killWorker(name, reason) {
      const remote = master.workers.getWorker(name);
      if (!remote) return false;
      remote.disconnect(1000, reason.slice(0, 120));
      return true;
    },
    async stopMaster() {
      // Answer the request first; the stop then closes the HTTP server too.
      setImmediate(() => master.requestStop());
    },
    reconfig: () => master.reconfig(),
  };
}
