/** Real mastro worker processes (the compiled CLI), created and started the way a user does. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { profileFlags, stopGroup } from './proc.js';

const run = promisify(execFile);
const cli = new URL('../../packages/worker/dist/cli.js', import.meta.url).pathname;

export interface WorkerProc { readonly name: string; readonly child: ChildProcess; readonly spawnedAt: number; stop(): Promise<void> }

export async function createWorkerDir(dir: string, masterAddress: string, name: string, password: string): Promise<void> {
  await run(process.execPath, [cli, 'create-worker', dir, masterAddress, name, password], { timeout: 30_000 });
}

/** `mastro-worker start DIR --foreground`, detached so stopping it also reaches its commands. */
export function startWorkerProc(dir: string, name: string): WorkerProc {
  const spawnedAt = performance.timeOrigin + performance.now();
  const child = spawn(process.execPath, [...profileFlags(`worker-${name}`), cli, 'start', dir, '--foreground'], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore'],
  });
  return { name, child, spawnedAt, stop: () => stopGroup(child, 10_000) };
}

export async function startWorkers(root: string, masterAddress: string, names: string[], password: string): Promise<WorkerProc[]> {
  const out: WorkerProc[] = [];
  for (const name of names) {
    const dir = join(root, name);
    await createWorkerDir(dir, masterAddress, name, password);
    out.push(startWorkerProc(dir, name));
  }
  return out;
}
