/** The fixed benchmark scenarios, in the order of issue 6. */
import type { Scenario } from '../types.js';
import { realWorkers, simulatedWorkers } from './throughput.js';

export const scenarios: Scenario[] = [realWorkers, simulatedWorkers];
