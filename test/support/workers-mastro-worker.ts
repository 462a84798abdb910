/**
 * Runs the real mastro worker CLI (`packages/worker/dist/cli.js`) for end-to-end tests: created
 * with `create-worker` (optionally `--json`), started with `start --foreground` as a child process
 * in its own process group, stopped in cleanup.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WORKER_CLI = fileURLToPath(new URL('../../packages/worker/dist/cli.js', import.meta.url));

export interface MastroWorkerProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function createMastroWorker(basedir: string, master: string, name: string, password: string, json: boolean): void {
  const r = spawnSync(process.execPath, [WORKER_CLI, 'create-worker', basedir, master, name, password, ...(json ? ['--json'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mastro-worker create-worker failed (${r.status}): ${r.stderr || r.stdout}`);
}

export function startMastroWorker(basedir: string): MastroWorkerProcess {
  const child = spawn(process.execPath, [WORKER_CLI, 'start', basedir, '--foreground'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => Buffer.concat(chunks).toString(),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const group = -child.pid!;
      // Twice: the first SIGTERM is graceful, the second interrupts whatever still runs.
      try { process.kill(group, 'SIGTERM'); process.kill(group, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(group, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
