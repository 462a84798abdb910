/**
 * Debian's `buildbot-worker` 3.7 created without `--protocol`, so it speaks PB, as Buildbot users
 * create workers: for scenario 1's PB variant against a mastro master (the worker port serves PB
 * and WebSocket by default).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopGroup } from './proc.js';
import type { WorkerProc } from './mastro-workers.js';

const run = promisify(execFile);

/** Null when Debian's buildbot-worker is installed, else why the PB variant cannot run. */
export async function pbWorkerMissing(): Promise<string | null> {
  try {
    await run('buildbot-worker', ['--version']);
    return null;
  } catch {
    return 'buildbot-worker is not installed (apt-get install buildbot-worker)';
  }
}

/** Creates (default protocol: PB) and starts one `buildbot-worker` per name, detached so stopping it reaches its commands. */
export async function startPbWorkers(root: string, masterAddress: string, names: string[], password: string): Promise<WorkerProc[]> {
  const out: WorkerProc[] = [];
  for (const name of names) {
    const dir = join(root, name);
    mkdirSync(root, { recursive: true });
    await run('buildbot-worker', ['create-worker', dir, masterAddress, name, password], { timeout: 60_000 });
    const spawnedAt = performance.timeOrigin + performance.now();
    const child = spawn('buildbot-worker', ['start', '--nodaemon', dir], { detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
    out.push({ name, child, spawnedAt, stop: () => stopGroup(child, 10_000) });
  }
  return out;
}
