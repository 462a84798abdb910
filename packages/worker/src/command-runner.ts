/**
 * Runs one command for the master (Buildbot's ProtocolCommand): builds its CommandContext, splits
 * its text output into lines, batches updates, limits how many updates await acknowledgement
 * (backpressure), and ends with the `elapsed` update and `complete`.
 */
import { LineSplitter } from './output/line-splitter.js';
import { UpdateBuffer, type UpdatePair } from './output/update-buffer.js';
import { UpdateWindow } from './output/update-window.js';
import type { OutputSettings } from './settings.js';
import type { CommandContext, CommandDefinition, WorkerCommand } from './commands/types.js';
import { CommandArgsError } from './commands/types.js';

export interface RunnerDeps {
  /** Worker -> master request on the current connection. */
  request(op: string, fields: Record<string, unknown>): Promise<unknown>;
  settings: OutputSettings;
  basedir: string;
  builderDir: string;
  resolvePath(baseForRelative: string, p: string): string;
  log(message: string): void;
  killGraceMs: number;
  /** Update requests awaiting acknowledgement before output is held back and merged. */
  maxUpdatesInFlight: number;
  /** Largest merged update while held back (Buildbot cost units ≈ bytes) before output pauses. */
  maxUpdateCost: number;
}

const TEXT_STREAMS = new Set(['stdout', 'stderr', 'header']);

export class CommandRunner {
  readonly done: Promise<void>;
  private readonly command: WorkerCommand;
  private readonly buffer: UpdateBuffer;
  private readonly splitters = new Map<string, LineSplitter>();
  private readonly window: UpdateWindow;
  private complete = false;
  private detached = false;
  private startDone!: () => void;

  constructor(readonly commandId: string, readonly name: string, definition: CommandDefinition, args: Record<string, unknown>, private readonly deps: RunnerDeps) {
    const missing = definition.requiredArgs.filter((k) => !(k in args));
    if (missing.length) throw new CommandArgsError(`${name} is missing args: ${missing.join(', ')}`);
    if (name === 'mkdir' || name === 'rmdir') {
      if (!('paths' in args) && !('dir' in args)) throw new CommandArgsError(`${name} is missing args: paths`);
    }
    this.window = new UpdateWindow((pairs) => this.sendUpdate(pairs), deps.maxUpdatesInFlight, deps.maxUpdateCost);
    this.buffer = new UpdateBuffer((pairs) => this.window.send(pairs), deps.settings.bufferSize, deps.settings.bufferTimeoutMs);
    const self = this;
    const ctx: CommandContext = {
      commandId, commandName: name, args,
      basedir: deps.basedir,
      builderDir: deps.builderDir,
      resolvePath: (p) => deps.resolvePath(deps.builderDir, p),
      sendStatus: (pairs) => this.sendStatus(pairs),
      request: (op, fields = {}) => deps.request(op, { ...fields, command_id: commandId }),
      get congested() { return self.window.congested; },
      whenDrained: () => this.window.whenDrained(),
      log: (m) => deps.log(`[${name} ${commandId}] ${m}`),
      killGraceMs: deps.killGraceMs,
    };
    this.command = definition.create(ctx);
    this.done = new Promise((resolve) => { this.startDone = resolve; });
  }

  /** Starts the command; `done` resolves after `complete` was sent (or the connection was lost). */
  start(): void {
    const started = performance.now();
    this.deps.log(`startCommand: ${this.name} [id ${this.commandId}]`);
    this.command.run().then(() => null, (err: unknown) => err instanceof Error ? (err.stack ?? err.message) : String(err))
      .then((failure) => this.finish(failure, (performance.now() - started) / 1000))
      .finally(() => this.startDone());
  }

  interrupt(why: string): void {
    this.deps.log(`asked to interrupt ${this.name} [id ${this.commandId}]: ${why}`);
    this.flushOutput();
    this.command.interrupt(why);
  }

  /** The connection is gone: nothing more is sent, and the command is stopped. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.buffer.dispose();
    this.window.dispose();
    if (!this.complete) this.command.interrupt('connection to the master lost');
  }

  private sendStatus(pairs: UpdatePair[]): void {
    if (this.complete || this.detached) return;
    const now = Date.now() / 1000;
    for (const [key, value] of pairs) {
      if (TEXT_STREAMS.has(key) && typeof value === 'string') {
        const chunk = this.splitter(key).append(value, now);
        if (chunk) this.buffer.append(key, chunk);
      } else if (key === 'log' && Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
        const chunk = this.splitter(`log:${value[0]}`).append(value[1], now);
        if (chunk) this.buffer.append('log', [value[0], chunk]);
      } else this.buffer.append(key, value);
    }
  }

  private splitter(key: string): LineSplitter {
    let s = this.splitters.get(key);
    if (!s) { s = new LineSplitter(this.deps.settings.maxLineLength, this.deps.settings.newlineRe); this.splitters.set(key, s); }
    return s;
  }

  private flushOutput(): void {
    for (const key of [...this.splitters.keys()].sort()) {
      const chunk = this.splitters.get(key)!.flush();
      if (!chunk) continue;
      if (key.startsWith('log:')) this.buffer.append('log', [key.slice(4), chunk]);
      else this.buffer.append(key, chunk);
    }
    this.buffer.flush();
  }

  private sendUpdate(pairs: UpdatePair[]): Promise<unknown> {
    if (this.detached) return Promise.resolve();
    return this.deps.request('update', { command_id: this.commandId, args: pairs })
      .catch((err: unknown) => this.deps.log(`update for ${this.commandId} not acknowledged: ${(err as Error).message ?? err}`));
  }

  private async finish(failure: string | null, elapsed: number): Promise<void> {
    if (failure) this.deps.log(`command ${this.name} [id ${this.commandId}] failed: ${failure}`);
    else this.deps.log(`command ${this.name} [id ${this.commandId}] complete`);
    if (this.detached) return;
    this.sendStatus([['elapsed', elapsed]]);
    this.flushOutput();
    this.complete = true;
    // `complete` must follow every update: wait until held-back output has been handed over.
    await this.window.whenSent();
    if (this.detached) return;
    try {
      await this.deps.request('complete', { command_id: this.commandId, args: failure });
    } catch (err) {
      this.deps.log(`complete for ${this.commandId} not acknowledged: ${(err as Error).message ?? err}`);
    }
  }
}
