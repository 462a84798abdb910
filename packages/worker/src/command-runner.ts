/**
 * Runs one command for the master (Buildbot's ProtocolCommand): builds its CommandContext, splits
 * its text output into lines, batches updates, limits how many updates await acknowledgement
 * (backpressure), and ends with the `elapsed` update and `complete`.
 *
 * Output arrives as text or as raw bytes (a child's pipes). For a Buildbot master the bytes are
 * decoded as UTF-8 and sent as `[text, offsets, times]`. For a master that asked for bytes
 * (`mastro_output_bytes`, PROTOCOL.md §3.4) they are never decoded: splitting and batching work on
 * "binary strings" (one latin1 character per byte, which newline handling cannot tell from text
 * since every byte it looks for is ASCII) and each batch goes out as the UTF-8 bytes of its lines.
 */
import type { Logger } from 'mastro-protocol';
import { prefixedLogger } from './logger.js';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './output/line-splitter.js';
import { UpdateBuffer, type UpdatePair } from './output/update-buffer.js';
import { UpdateWindow } from './output/update-window.js';
import type { OutputSettings } from './settings.js';
import type { CommandContext, CommandDefinition, WorkerCommand } from './commands/types.js';
import { CommandArgsError } from './commands/types.js';
import type { ProcessGroupTracker } from './process/orphan-guard.js';

export interface RunnerDeps {
  /** Worker -> master request on the current connection. */
  request(op: string, fields: Record<string, unknown>): Promise<unknown>;
  settings: OutputSettings;
  basedir: string;
  builderDir: string;
  resolvePath(baseForRelative: string, p: string): string;
  log: Logger;
  killGraceMs: number;
  /** Update requests awaiting acknowledgement before output is held back and merged. */
  maxUpdatesInFlight: number;
  /** Largest merged update while held back (Buildbot cost units ≈ bytes) before output pauses. */
  maxUpdateCost: number;
  /** With a master that asked for bytes: how long a full batch waits to grow up to maxUpdateCost (0: never). */
  updateLingerMs: number;
  /** Told the process groups commands start (see process/orphan-guard.ts). */
  processGroups?: ProcessGroupTracker;
}

const TEXT_STREAMS = new Set(['stdout', 'stderr', 'header']);

const isOutput = (v: unknown): v is string | Uint8Array => typeof v === 'string' || v instanceof Uint8Array;
const bytesOf = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** A batched pair as a bytes session sends it: the lines of a LineChunk (a binary string) as their bytes. */
function asBytesPair(pair: UpdatePair): UpdatePair {
  const [key, value] = pair;
  if (TEXT_STREAMS.has(key) && Array.isArray(value)) return [key, Buffer.from(value[0] as string, 'latin1')];
  if (key === 'log' && Array.isArray(value) && Array.isArray(value[1])) return ['log', [value[0], Buffer.from(value[1][0] as string, 'latin1')]];
  return pair;
}

export class CommandRunner {
  readonly done: Promise<void>;
  private readonly command: WorkerCommand;
  private readonly buffer: UpdateBuffer;
  private readonly splitters = new Map<string, LineSplitter>();
  /** Per output key, for text sessions: a character split between two reads waits for its rest. */
  private readonly decoders = new Map<string, StringDecoder>();
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
    // Toward a mastro master (it asked for bytes), a fast command's batches grow past buffer_size.
    const growth = deps.settings.outputBytes ? { maxSize: deps.maxUpdateCost, lingerMs: deps.updateLingerMs } : null;
    this.buffer = new UpdateBuffer((pairs) => this.window.send(pairs), deps.settings.bufferSize, deps.settings.bufferTimeoutMs, growth);
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
      log: prefixedLogger(deps.log, `[${name} ${commandId}] `),
      killGraceMs: deps.killGraceMs,
      processGroups: deps.processGroups,
    };
    this.command = definition.create(ctx);
    this.done = new Promise((resolve) => { this.startDone = resolve; });
  }

  /** Starts the command; `done` resolves after `complete` was sent (or the connection was lost). */
  start(): void {
    const started = performance.now();
    this.deps.log.info(`startCommand: ${this.name} [id ${this.commandId}]`);
    this.command.run().then(() => null, (err: unknown) => err instanceof Error ? (err.stack ?? err.message) : String(err))
      .then((failure) => this.finish(failure, (performance.now() - started) / 1000))
      .finally(() => this.startDone());
  }

  interrupt(why: string): void {
    this.deps.log.info(`asked to interrupt ${this.name} [id ${this.commandId}]: ${why}`);
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
      if (TEXT_STREAMS.has(key) && isOutput(value)) this.feed(key, this.splitterText(key, value), now);
      else if (key === 'log' && Array.isArray(value) && typeof value[0] === 'string' && isOutput(value[1])) {
        const splitterKey = `log:${value[0]}`;
        this.feed(splitterKey, this.splitterText(splitterKey, value[1]), now);
      } else this.buffer.append(key, value);
    }
  }

  /** Splits text of an output key (`stdout`, ..., or `log:<name>`) into lines and batches them. */
  private feed(splitterKey: string, text: string, now: number): void {
    const chunk = this.splitter(splitterKey).append(text, now);
    if (!chunk) return;
    if (splitterKey.startsWith('log:')) this.buffer.append('log', [splitterKey.slice(4), chunk]);
    else this.buffer.append(splitterKey, chunk);
  }

  /** Output as the splitter of `key` takes it: text, or a binary string when the master wants bytes. */
  private splitterText(key: string, output: string | Uint8Array): string {
    if (this.deps.settings.outputBytes) {
      if (typeof output !== 'string') return bytesOf(output).toString('latin1');
      return Buffer.byteLength(output) === output.length ? output : Buffer.from(output, 'utf8').toString('latin1');
    }
    if (typeof output === 'string') return output;
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new StringDecoder('utf8')));
    return decoder.write(bytesOf(output));
  }

  private splitter(key: string): LineSplitter {
    let s = this.splitters.get(key);
    if (!s) {
      const { maxLineLength, newlineRe, outputBytes } = this.deps.settings;
      s = new LineSplitter(maxLineLength, newlineRe, outputBytes);
      this.splitters.set(key, s);
    }
    return s;
  }

  /** Sends held-back partial lines; at the end (`final`), also a character left incomplete. */
  private flushOutput(final = false): void {
    // An incomplete character at the very end of the output becomes U+FFFD, as Python's decoder does.
    for (const [key, decoder] of final ? this.decoders : []) {
      const rest = decoder.end();
      if (rest) this.feed(key, rest, Date.now() / 1000);
    }
    if (final) this.decoders.clear();
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
    const args = this.deps.settings.outputBytes ? pairs.map(asBytesPair) : pairs;
    return this.deps.request('update', { command_id: this.commandId, args })
      .catch((err: unknown) => this.deps.log.warn(`update for ${this.commandId} not acknowledged: ${(err as Error).message ?? err}`));
  }

  private async finish(failure: string | null, elapsed: number): Promise<void> {
    if (failure) this.deps.log.info(`command ${this.name} [id ${this.commandId}] failed: ${failure}`);
    else this.deps.log.info(`command ${this.name} [id ${this.commandId}] complete`);
    if (this.detached) return;
    this.sendStatus([['elapsed', elapsed]]);
    this.flushOutput(true);
    this.complete = true;
    // `complete` must follow every update: wait until held-back output has been handed over.
    await this.window.whenSent();
    if (this.detached) return;
    try {
      await this.deps.request('complete', { command_id: this.commandId, args: failure });
    } catch (err) {
      this.deps.log.warn(`complete for ${this.commandId} not acknowledged: ${(err as Error).message ?? err}`);
    }
  }
}
