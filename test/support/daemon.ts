/**
 * A server program a test runs in the foreground as its child (Debian's sshd, ngircd): started,
 * waited for until its log says it is ready, and killed by the harness. Should the test process
 * end without its after() hooks (a forced exit), the server is killed with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface DaemonSpec {
  name: string;
  command: string;
  args: readonly string[];
  /** Seen in its stdout or stderr once it serves. */
  ready: RegExp;
  /** Seen in its output when it cannot serve (it may not exit at once). */
  failed?: RegExp;
}

/** Starts the program and resolves with it once `ready` shows up; rejects with its log otherwise. */
export async function startDaemon(spec: DaemonSpec): Promise<ChildProcess> {
  const child = spawn(spec.command, [...spec.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const reap = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      log += c.toString();
      if (spec.failed?.test(log)) { reap(); reject(new Error(`${spec.name} could not start: ${log}`)); }
      else if (spec.ready.test(log)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${spec.name} exited (${code}) before it was ready: ${log}`)));
    child.once('error', reject);
  });
  return child;
}

/** Signals the program and resolves once it has exited (at once if it already has). */
export async function stopDaemon(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await gone;
}
