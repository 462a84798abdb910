/** The fixed benchmark scenarios, in the order of issue 6, then issue 12's reporters (9), issue 13's pool attach (10), issue 19's history (11) and issue 13's latent start (12). */
import type { Scenario } from '../types.js';
import { realWorkers, simulatedWorkers } from './throughput.js';
import { latency } from './latency.js';
import { logs } from './logs.js';
import { idleWorkers } from './idle-workers.js';
import { queue } from './queue.js';
import { polling } from './polling.js';
import { workerFootprint } from './worker-footprint.js';
import { reporters } from './reporters.js';
import { poolAttach } from './pool-attach.js';
import { history } from './history.js';
import { latentStart } from './latent-start.js';

export const scenarios: Scenario[] = [realWorkers, simulatedWorkers, latency, logs, idleWorkers, queue, polling, workerFootprint, reporters, poolAttach, history, latentStart];
