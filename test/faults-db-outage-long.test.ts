/**
 * A 10-minute PostgreSQL outage during builds (the 60 s one and the buffer limit are in
 * faults-db-outage.test.ts): every build still ends with its own result and every log line is
 * stored once, in order. It takes over ten minutes, so it is one test in a file of its own and
 * the runner runs other files beside it.
 */
import { describe, it } from 'node:test';
import { pgServerUnavailable } from './support/pg-server.js';
import { runOutage } from './support/db-outage.js';

describe('a long PostgreSQL outage during builds', { skip: pgServerUnavailable() }, () => {
  it('a 10-minute outage: every build keeps its result and every log line is stored once and in order', { timeout: 30 * 60_000 }, async () => {
    await runOutage({ outageMs: 10 * 60_000, builds: 2, lines: 800 });
  });
});
