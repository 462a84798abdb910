/**
 * `latent.local({...})`: each instance is a `mastro-worker` process on the master's own host,
 * started and stopped by the master (Buildbot's LocalWorker, `worker/local.py`), for small
 * installations and tests. The process runs `mastro-worker start DIR --foreground` with Buildbot's
 * latent-worker environment, in its own directory under `basedir` and its own process group (a
 * stop ends the builds' processes too), writing its output to DIR/latent.log.
 *
 * Each instance has a note (instance-notes.ts: its pid and the pid's start time), so a master that
 * was killed finds the processes it started when it starts again, and a pid the system has since
 * given to another program is not taken for one.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { workerOs } from 'mastro-protocol';
import { processStartTime } from 'mastro-protocol/process-identity';
import { workerCli } from '../../util/worker-cli.js';
import { latentEnvironment, safeName } from './environment.js';
import { InstanceNotes, orphanNotes, type InstanceNote } from './instance-notes.js';
import { LatentStartError, type InstanceRequest, type LatentInstance, type LatentProvider, type ListedInstance, type ProviderHealth } from './provider.js';
import type { LatentProviderKind, ProviderContext } from './registry.js';

export interface LocalProviderSpec {
  readonly kind: 'local';
  readonly basedir: string;
  readonly workerCommand: readonly string[] | string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly masterAddress?: string;
  readonly stopTimeout: number;
}

export const localKind: LatentProviderKind<LocalProviderSpec> = {
  options: {
    basedir: { type: 'string', default: 'latent-workers', doc: "Directory (relative to the master directory) holding one worker directory per instance, named after the worker ('/' of a pool instance as '+')." },
    workerCommand: { type: 'command', nullable: true, default: null, doc: "The program run as `<workerCommand> start DIR --foreground`. Default: this Node running the mastro-worker package's CLI." },
    env: { type: 'env', default: {}, doc: "More environment for the worker process (besides the master's own and the latent-worker variables)." },
    stopTimeout: { type: 'number', min: 0, default: 10, doc: 'Seconds the worker has to exit after SIGTERM when it is stopped, before SIGKILL.' },
  },
  create: (spec, ctx) => new LocalProvider(spec, ctx),
  async sweep(ctx, owners) {
    const { notes, orphans } = orphanNotes(ctx.masterDir, 'local', ctx.masterName, owners);
    let stopped = 0;
    for (const note of orphans) {
      const instance = liveInstance(note);
      if (instance) {
        ctx.log.warn({ worker: note.worker, pid: instance.pid }, `stopping worker process ${instance.pid} of latent worker ${note.worker}, which is no longer configured`);
        await stopProcess(instance.pid, null, 0);
        stopped++;
      }
      notes.remove(note.worker, note.id);
    }
    return stopped;
  },
};

interface LocalInstance extends LatentInstance { readonly pid: number; readonly exited: Promise<unknown> | null }

/** The instance a note names, if its process still runs (the same process: same start time). */
function liveInstance(note: InstanceNote): LocalInstance | null {
  const pid = Number(note.id);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const now = processStartTime(pid);
  if (now === undefined) return null;
  const then = typeof note.startTime === 'string' ? note.startTime : null;
  return now === null || then === null || now === then ? { id: note.id, pid, exited: null } : null;
}

export class LocalProvider implements LatentProvider {
  readonly kind = 'local';
  readonly platform = { os: workerOs(process.platform), arch: process.arch };
  readonly describe = 'this host (latent.local)';
  private readonly root: string;
  private readonly notes: InstanceNotes;

  constructor(private readonly spec: LocalProviderSpec, private readonly ctx: ProviderContext) {
    this.root = resolve(ctx.masterDir, spec.basedir);
    this.notes = new InstanceNotes(ctx.masterDir, 'local', ctx.masterName);
  }

  private command(): string[] {
    const c = this.spec.workerCommand;
    if (c === null) return [process.execPath, workerCli()];
    // A string is a shell command line the arguments are appended to.
    return typeof c === 'string' ? ['sh', '-c', `${c} "$@"`, 'sh'] : [...c];
  }

  async startInstance(req: InstanceRequest): Promise<LocalInstance> {
    const dir = join(this.root, safeName(req.workerName));
    mkdirSync(dir, { recursive: true });
    // A process of this worker from before (the master was killed) goes first.
    const left = this.notes.read(req.workerName);
    const leftover = left && liveInstance(left);
    if (leftover) await stopProcess(leftover.pid, null, 0);
    const [program, ...args] = this.command();
    const out = openSync(join(dir, 'latent.log'), 'a');
    let child;
    try {
      child = spawn(program!, [...args, 'start', dir, '--foreground'], {
        env: { ...process.env, ...latentEnvironment(req, this.spec.env) }, stdio: ['ignore', out, out], detached: process.platform !== 'win32',
      });
    } finally {
      closeSync(out);
    }
    const exited = once(child, 'exit').catch(() => undefined);
    try {
      await once(child, 'spawn');
    } catch (err) {
      throw new LatentStartError(req.workerName, `could not run ${program}: ${(err as Error).message}`);
    }
    child.unref();
    const pid = child.pid!;
    this.notes.write({ owner: this.ctx.owner, worker: req.workerName, id: String(pid), startTime: processStartTime(pid) ?? null, dir });
    this.ctx.log.info({ worker: req.workerName, pid, dir }, 'started a local worker process');
    return { id: String(pid), pid, exited } satisfies LocalInstance;
  }

  async stopInstance(instance: LatentInstance, options: { fast: boolean }): Promise<void> {
    const { pid, exited } = instance as LocalInstance;
    await stopProcess(pid, exited, options.fast ? 0 : this.spec.stopTimeout * 1000);
    const note = this.notes.list().find((n) => n.id === instance.id);
    if (note) this.notes.remove(note.worker, note.id);
  }

  async listInstances(): Promise<ListedInstance[]> {
    return this.notes.list().filter((n) => n.owner === this.ctx.owner).flatMap((n) => {
      const live = liveInstance(n);
      if (!live) { this.notes.remove(n.worker, n.id); return []; }
      return [{ ...live, workerName: n.worker }];
    });
  }

  async health(): Promise<ProviderHealth> {
    const [program] = this.command();
    return program === process.execPath && !existsSync(workerCli())
      ? { ok: false, message: `the mastro-worker CLI is not at ${workerCli()}: install mastro-worker (or build it: npm run build)` }
      : { ok: true, message: 'local worker processes can be started' };
  }
}

/**
 * SIGTERM to the process group (the worker and its builds' processes), SIGKILL after `graceMs`
 * (at once when 0). `exited`: the exit event of a process this master is the parent of; another
 * (one adopted after a restart) has none, so it is watched for.
 */
async function stopProcess(pid: number, exited: Promise<unknown> | null, graceMs: number): Promise<void> {
  const gone = exited ?? (async () => { while (processStartTime(pid) !== undefined) await new Promise((r) => setTimeout(r, 100)); })();
  if (processStartTime(pid) === undefined) return;
  signal(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  if (graceMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([gone.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), graceMs); })]);
    clearTimeout(timer);
    if (!inTime) signal(pid, 'SIGKILL');
  }
  await gone;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pid, sig); } catch {
    try { process.kill(pid, sig); } catch { /* gone */ }
  }
}
