/**
 * What every worker connection has in common, whatever protocol it speaks: the RemoteWorker API of
 * `types.ts` over the commands it tracks. A subclass says how a command is sent and interrupted
 * (msgpack's `start_command` in connected-worker.ts, PB's `startCommand` in pb/pb-worker.ts); the
 * transfers, the failures of a start, disconnection and its listeners are the same for both.
 * One instance per connection; it never outlives it.
 */
import { CloseCodes } from 'mastro-protocol';
import type { CommandCallbacks, RemoteWorker, RunningCommand, WorkerInfo } from './types.js';
import type { ResolvedOptions } from './options.js';
import { TrackedCommand, nextCommandId } from './tracked-command.js';
import { FileWriter } from './file-writer.js';
import { DirectoryWriter } from './directory-writer.js';
import { FileReader, type DownloadSource } from './file-reader.js';
import type { PathFlavour } from './worker-paths.js';
import { normaliseWorkerInfo } from './worker-info.js';

/** Buildbot's step default block size for transfers. */
const DEFAULT_BLOCKSIZE = 16 * 1024;

export interface Transfer { writer?: FileWriter | DirectoryWriter; reader?: FileReader }

/** How the request that starts a command failed. */
export type StartFailure =
  | { kind: 'refused'; message: string }
  | { kind: 'lost' }
  /** No answer in time, the connection still up: the worker is pinged to tell frozen from slow. */
  | { kind: 'unanswered'; message: string };

export abstract class WorkerConnection implements RemoteWorker {
  info: WorkerInfo = {};
  pathFlavour: PathFlavour = 'posix';
  readonly connectedAt = Date.now();
  protected readonly commands = new Map<string, TrackedCommand>();
  protected gone = false;
  private disconnectListeners: Set<() => void> | null = null;

  constructor(readonly name: string, readonly remoteAddress: string, protected readonly options: ResolvedOptions) {}

  get connected(): boolean { return !this.gone; }
  get runningCommands(): number { return this.commands.size; }
  abstract get builderNames(): string[];
  /** The worker-side directory of a builder: `<basedir>/<builddir>`. */
  abstract builderBasedir(builderName: string): string;
  abstract ping(timeoutMs?: number): Promise<boolean>;
  abstract shutdown(): Promise<void>;
  /** Sends a message the worker writes to its log. */
  abstract print(message: string): Promise<void>;
  /** Closes the connection; running commands end with failure.lostConnection. */
  abstract disconnect(code: number, reason: string): void;

  /**
   * Sends the request that starts `tracked` (already registered in `commands`); reports a failure
   * of that request through `startFailed`.
   */
  protected abstract send(builderName: string, tracked: TrackedCommand, args: Record<string, unknown>, transfer: Transfer | null): void;
  /** Sends the request that interrupts a command; rejects when it is not acknowledged. */
  protected abstract sendInterrupt(builderName: string, commandId: string, why: string): Promise<void>;

  /** Records the worker's description of itself and derives its path flavour from it. */
  setInfo(raw: unknown): void {
    this.info = normaliseWorkerInfo(raw);
    this.pathFlavour = this.info.system === 'nt' || this.info.system === 'win32' ? 'win32' : 'posix';
  }

  startCommand(builderName: string, command: string, args: Record<string, unknown>, callbacks?: CommandCallbacks): RunningCommand {
    return this.start(builderName, command, args, callbacks, null);
  }

  uploadFile(builderName: string, opts: Parameters<RemoteWorker['uploadFile']>[1], callbacks?: CommandCallbacks): RunningCommand {
    const writer = new FileWriter(opts.masterDest, { maxsize: opts.maxsize, mode: opts.mode, hardLimit: this.options.maxUploadSize });
    return this.start(builderName, 'upload_file', {
      workdir: opts.workdir, workersrc: opts.workerSrc, maxsize: opts.maxsize ?? null,
      blocksize: opts.blocksize ?? DEFAULT_BLOCKSIZE, keepstamp: opts.keepstamp ?? false,
    }, callbacks, { writer });
  }

  uploadDirectory(builderName: string, opts: Parameters<RemoteWorker['uploadDirectory']>[1], callbacks?: CommandCallbacks): RunningCommand {
    const writer = new DirectoryWriter(opts.masterDest, {
      maxsize: opts.maxsize, stepMaxEntries: opts.maxEntries, compress: opts.compress, hardLimit: this.options.maxUploadSize, maxEntries: this.options.maxUploadEntries,
      tmpDir: this.options.tmpDir || undefined,
      onCleanupError: (err, path) => this.options.logger.warn({ err, worker: this.name, path }, 'could not remove what a failed directory upload left on the master; remove it by hand'),
    });
    return this.start(builderName, 'upload_directory', {
      workdir: opts.workdir, workersrc: opts.workerSrc, maxsize: opts.maxsize ?? null,
      blocksize: opts.blocksize ?? DEFAULT_BLOCKSIZE, compress: opts.compress ?? null,
    }, callbacks, { writer });
  }

  downloadFile(builderName: string, opts: Parameters<RemoteWorker['downloadFile']>[1], callbacks?: CommandCallbacks): RunningCommand {
    const reader = new FileReader(opts.source as DownloadSource, this.options.maxReadBlockSize);
    return this.start(builderName, 'download_file', {
      workdir: opts.workdir, workerdest: opts.workerDest, maxsize: opts.maxsize ?? null,
      blocksize: opts.blocksize ?? DEFAULT_BLOCKSIZE, mode: opts.mode ?? null,
    }, callbacks, { reader });
  }

  onDisconnect(listener: () => void): () => void {
    if (this.gone) {
      queueMicrotask(listener);
      return () => {};
    }
    (this.disconnectListeners ??= new Set()).add(listener);
    return () => { this.disconnectListeners?.delete(listener); };
  }

  private start(builderName: string, command: string, args: Record<string, unknown>, callbacks: CommandCallbacks | undefined, transfer: Transfer | null): RunningCommand {
    const commandId = nextCommandId();
    const tracked = new TrackedCommand(commandId, command, (why) => this.interruptCommand(builderName, commandId, why), callbacks, this.options.logger);
    if (transfer?.writer) tracked.writer = transfer.writer;
    if (transfer?.reader) tracked.reader = transfer.reader;
    if (this.gone) {
      void tracked.fail(`worker ${this.name} is not connected`, true);
      return tracked;
    }
    this.commands.set(commandId, tracked);
    this.send(builderName, tracked, args, transfer);
    return tracked;
  }

  /** The start request of `tracked` (sent as `wireName` in `request`) failed. */
  protected startFailed(builderName: string, tracked: TrackedCommand, wireName: string, request: string, failure: StartFailure): void {
    this.commands.delete(tracked.commandId);
    if (failure.kind === 'refused') void tracked.fail(`worker ${this.name} refused to start ${wireName}: ${failure.message}`, false);
    else if (failure.kind === 'lost' || this.gone) void tracked.fail(`lost connection to worker ${this.name} while starting ${wireName}`, true);
    else void this.startNotAcknowledged(builderName, tracked, wireName, request, failure.message);
  }

  /**
   * The start request got no answer in time. A worker that does not answer a ping either is gone
   * (frozen, or a half-open connection after a network cut) and the keepalive would notice only
   * much later: the connection is dropped and the command ends as lost, so its build ends RETRY and
   * the request runs again instead of ending EXCEPTION. A worker that answers the ping is alive but
   * slow: the command fails, and the worker is asked to stop it in case it runs anyway.
   */
  private async startNotAcknowledged(builderName: string, tracked: TrackedCommand, wireName: string, request: string, message: string): Promise<void> {
    if (!(await this.ping(this.options.duplicatePingTimeoutMs))) {
      const why = `worker ${this.name} stopped answering: no answer to ${request} of ${wireName} within ${this.options.requestTimeoutMs} ms, nor to a ping within ${this.options.duplicatePingTimeoutMs} ms`;
      this.options.logger.warn({ worker: this.name, commandId: tracked.commandId }, `${why}; dropping its connection`);
      void tracked.fail(`${why}; the connection was dropped`, true);
      this.disconnect(CloseCodes.KEEPALIVE_TIMEOUT, why);
      return;
    }
    void this.sendInterrupt(builderName, tracked.commandId, `${request} was not acknowledged`).catch(() => {});
    void tracked.fail(`worker ${this.name} did not acknowledge ${wireName}: ${message}`, false);
  }

  private async interruptCommand(builderName: string, commandId: string, why: string): Promise<void> {
    if (this.gone || !this.commands.has(commandId)) return;
    try {
      await this.sendInterrupt(builderName, commandId, why);
    } catch (err) {
      // The command may have finished meanwhile, or the connection died: both end the command anyway.
      this.options.logger.debug({ err, worker: this.name, commandId }, 'the interrupt was not acknowledged');
    }
  }

  /** The connection is gone: every running command ends as lost, then the listeners run. */
  protected connectionLost(): void {
    if (this.gone) return;
    this.gone = true;
    const running = [...this.commands.values()];
    this.commands.clear();
    for (const cmd of running) void cmd.fail(`lost connection to worker ${this.name}`, true);
    const listeners = this.disconnectListeners;
    this.disconnectListeners = null;
    for (const listener of listeners ?? []) {
      try { listener(); } catch (err) { this.options.logger.warn({ err, worker: this.name }, 'onDisconnect listener threw'); }
    }
  }
}
