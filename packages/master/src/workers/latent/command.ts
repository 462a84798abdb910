/**
 * `latent.command({ start, stop, list? })`: instances made by the user's own commands (a cloud
 * CLI, libvirt's `virsh`, `ssh host ...`), for every platform no built-in provider covers. Each
 * command runs with the master's environment plus:
 *   BUILDMASTER, BUILDMASTER_PORT, BUILDMASTER_PROTOCOL, WORKERNAME, WORKERPASS   (environment.ts)
 *   MASTRO_MASTER        the master's name (label the instance with it to find it again)
 *   MASTRO_INSTANCE_ID   (stop) what the start command printed last on stdout, else the worker name
 *   MASTRO_STOP_FAST     (stop) 1 when no grace period is wanted, else 0
 * `start` must return once the instance is starting (not when its worker attached); its last line
 * of output names the instance. `list`, when given, prints this master's instances still alive, one
 * per line as `<instance-id> <worker-name>`, so a master that was killed finds them again. Without
 * it the master keeps a note per started instance (instance-notes.ts, with the stop command and its
 * environment, so an instance of a latent worker since removed from the config is still stopped).
 */
import { spawn } from 'node:child_process';
import { latentEnvironment } from './environment.js';
import { InstanceNotes, orphanNotes } from './instance-notes.js';
import { LatentStartError, type InstanceRequest, type LatentInstance, type LatentProvider, type ListedInstance } from './provider.js';
import type { LatentProviderKind, ProviderContext } from './registry.js';

export interface CommandProviderSpec {
  readonly kind: 'command';
  readonly start: readonly string[] | string;
  readonly stop: readonly string[] | string;
  readonly list: readonly string[] | string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly masterAddress?: string;
  readonly timeout: number;
  readonly os: string | null;
  readonly arch: string | null;
}

export const commandKind: LatentProviderKind<CommandProviderSpec> = {
  options: {
    start: { type: 'command', required: true, doc: 'Starts an instance: a string run by the shell, or an argument list. Its last line on stdout names the instance (MASTRO_INSTANCE_ID of stop).' },
    stop: { type: 'command', required: true, doc: 'Stops the instance named by MASTRO_INSTANCE_ID; stopping one already gone must succeed.' },
    list: { type: 'command', nullable: true, default: null, doc: "Prints this master's (MASTRO_MASTER) instances still alive as '<instance-id> <worker-name>' lines. Default none: the master keeps notes of what it started." },
    env: { type: 'env', default: {}, doc: 'More environment for the commands.' },
    timeout: { type: 'number', min: 1, default: 600, doc: 'Seconds each command may run; then it is killed and counts as failed.' },
    os: { type: 'string', nullable: true, default: null, doc: "The instances' os= (linux, darwin, windows), so builders selecting os= know they fit before one has attached." },
    arch: { type: 'string', nullable: true, default: null, doc: "The instances' arch= (x64, arm64, ...), likewise." },
  },
  create: (spec, ctx) => new CommandProvider(spec, ctx),
  async sweep(ctx, owners) {
    const { notes, orphans } = orphanNotes(ctx.masterDir, 'command', ctx.masterName, owners);
    let stopped = 0;
    for (const note of orphans) {
      const stop = note.stop as CommandProviderSpec['stop'] | undefined;
      if (typeof stop !== 'string' && !Array.isArray(stop)) { notes.remove(note.worker, note.id); continue; }
      const spec = { stop, env: (note.env as Record<string, string> | undefined) ?? {}, timeout: Number(note.timeout) || 600 } as CommandProviderSpec;
      ctx.log.warn({ worker: note.worker, instance: note.id }, `stopping instance ${note.id} of latent worker ${note.worker}, which is no longer configured`);
      try {
        await new CommandProvider(spec, { ...ctx, owner: note.owner }).stopInstance({ id: note.id, workerName: note.worker } as LatentInstance, { fast: true });
        stopped++;
      } catch (err) {
        ctx.log.error({ err, worker: note.worker, instance: note.id }, `the stop command failed for instance ${note.id} of latent worker ${note.worker}, which is no longer configured; it may still run`);
      }
    }
    return stopped;
  },
};

/** Output kept per command for its error message. */
const OUTPUT_KEPT = 16 * 1024;
/** How long after a command exited its output is still read, when something it started keeps the pipe open. */
const EXIT_OUTPUT_GRACE_MS = 2000;

interface CommandResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

export class CommandProvider implements LatentProvider {
  readonly kind = 'command';
  readonly platform: { os: string | null; arch: string | null };
  readonly describe = 'the latent.command start command';
  private readonly notes: InstanceNotes;

  constructor(private readonly spec: CommandProviderSpec, private readonly ctx: ProviderContext) {
    this.platform = { os: spec.os ?? null, arch: spec.arch ?? null };
    this.notes = new InstanceNotes(ctx.masterDir, 'command', ctx.masterName);
  }

  async startInstance(req: InstanceRequest): Promise<LatentInstance> {
    const env = { ...latentEnvironment(req, this.spec.env), MASTRO_MASTER: this.ctx.masterName };
    const r = await this.run('start', this.spec.start, env, req.signal);
    if (r.code !== 0) throw new LatentStartError(req.workerName, `the start command ${failure(r, this.spec.timeout)}`);
    const lines = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    const id = lines.at(-1) ?? req.workerName;
    if (this.spec.list === null) {
      // Not the password: a restarted master knows it (password.ts or the config).
      this.notes.write({ owner: this.ctx.owner, worker: req.workerName, id, stop: this.spec.stop, env: this.spec.env, timeout: this.spec.timeout });
    }
    return { id, workerName: req.workerName, password: req.password, master: req.master } as LatentInstance;
  }

  async stopInstance(instance: LatentInstance, options: { fast: boolean }): Promise<void> {
    const i = instance as LatentInstance & Partial<Pick<InstanceRequest, 'workerName' | 'password' | 'master'>>;
    const env = {
      ...(i.workerName && i.password !== undefined && i.master ? latentEnvironment({ workerName: i.workerName, password: i.password, master: i.master }, this.spec.env) : this.spec.env),
      ...(i.workerName ? { WORKERNAME: i.workerName } : {}),
      MASTRO_MASTER: this.ctx.masterName, MASTRO_INSTANCE_ID: instance.id, MASTRO_STOP_FAST: options.fast ? '1' : '0',
    };
    const r = await this.run('stop', this.spec.stop, env);
    if (r.code !== 0) throw new Error(`the stop command for instance ${instance.id} ${failure(r, this.spec.timeout)}`);
    if (i.workerName) this.notes.remove(i.workerName, instance.id);
  }

  async listInstances(): Promise<ListedInstance[]> {
    if (this.spec.list === null) return this.notes.list().filter((n) => n.owner === this.ctx.owner).map((n) => ({ id: n.id, workerName: n.worker }));
    const r = await this.run('list', this.spec.list, { ...this.spec.env, MASTRO_MASTER: this.ctx.masterName });
    if (r.code !== 0) throw new Error(`the list command ${failure(r, this.spec.timeout)}`);
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).flatMap((line) => {
      const m = /^(\S+)\s+(\S+)$/.exec(line);
      if (!m) {
        this.ctx.log.warn({ line }, "a line of the latent.command list command is not '<instance-id> <worker-name>'; ignoring it");
        return [];
      }
      return [{ id: m[1]!, workerName: m[2]! }];
    });
  }

  private run(what: string, command: readonly string[] | string, env: Record<string, string>, signal?: AbortSignal): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const [program, args, shell] = typeof command === 'string' ? [command, [], true] : [command[0]!, command.slice(1), false];
      const child = spawn(program, args, { shell, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.on('data', (d: Buffer) => { stdout = (stdout + d.toString('utf8')).slice(-OUTPUT_KEPT); });
      child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-OUTPUT_KEPT); });
      const kill = () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); } };
      const timer = setTimeout(() => { timedOut = true; kill(); }, this.spec.timeout * 1000);
      const onAbort = () => kill();
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (err) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(new Error(`the ${what} command could not be run: ${err.message}`));
      });
      let done = false;
      const finish = (code: number | null, sig: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        child.stdout!.destroy();
        child.stderr!.destroy();
        resolve({ code, signal: sig, stdout, stderr, timedOut });
      };
      child.on('close', finish);
      // A background process the command left (a VM's console, `cmd &`) may hold its output open:
      // once the command itself exited, what it wrote arrives within moments, so that is waited for, not the helper.
      child.on('exit', (code, sig) => { setTimeout(() => finish(code, sig), EXIT_OUTPUT_GRACE_MS).unref(); });
    });
  }
}

function failure(r: CommandResult, timeout: number): string {
  const how = r.timedOut ? `did not finish within ${timeout} s (timeout) and was killed` : r.code === null ? `was killed by ${r.signal}` : `exited with status ${r.code}`;
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join(' | ');
  return said ? `${how}: ${said}` : how;
}
