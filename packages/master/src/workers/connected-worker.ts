/**
 * A worker connection seen as the RemoteWorker API of `types.ts`: turns step calls into protocol
 * requests and routes the worker's `update`/`complete`/transfer messages to the right command.
 * One instance per WebSocket; it never outlives its connection.
 */
import { CloseCodes, ErrorCodes, ProtocolError, RemoteError, shortText, type ProtocolConnection } from 'mastro-protocol';
import type { CommandCallbacks, RemoteWorker, RunningCommand, WorkerInfo } from './types.js';
import type { ResolvedOptions } from './options.js';
import { TrackedCommand, nextCommandId } from './tracked-command.js';
import { FileWriter } from './file-writer.js';
import { DirectoryWriter } from './directory-writer.js';
import { isUploadRefusal } from './upload-errors.js';
import { FileReader, type DownloadSource } from './file-reader.js';
import { defaultBuilddir, joinWorkerPath, toWorkerArgs, type PathFlavour } from './worker-paths.js';
import { normaliseWorkerInfo } from './worker-info.js';

/** Buildbot's step default block size for transfers. */
const DEFAULT_BLOCKSIZE = 16 * 1024;

export class ConnectedWorker implements RemoteWorker {
  info: WorkerInfo = {};
  pathFlavour: PathFlavour = 'posix';
  readonly connectedAt = Date.now();
  private readonly commands = new Map<string, TrackedCommand>();
  private readonly builderBasedirs = new Map<string, string>();
  private disconnectListeners: Set<() => void> | null = null;
  private gone = false;

  constructor(
    readonly name: string,
    readonly connection: ProtocolConnection,
    readonly remoteAddress: string,
    private readonly options: ResolvedOptions,
  ) {
    this.installHandlers();
    connection.closed.then(() => this.connectionLost(), () => this.connectionLost());
  }

  get connected(): boolean { return !this.gone; }
  get builderNames(): string[] { return [...this.builderBasedirs.keys()]; }
  get runningCommands(): number { return this.commands.size; }

  /** The worker-side directory of a builder: `<basedir>/<builddir>`. */
  builderBasedir(builderName: string): string {
    return this.builderBasedirs.get(builderName)
      ?? joinWorkerPath(this.pathFlavour, this.info.basedir ?? '', defaultBuilddir(builderName));
  }

  /** Records `get_worker_info`'s answer and derives the worker's path flavour from it. */
  setInfo(raw: unknown): void {
    this.info = normaliseWorkerInfo(raw);
    this.pathFlavour = this.info.system === 'nt' || this.info.system === 'win32' ? 'win32' : 'posix';
  }

  setBuilderBasedirs(dirs: Map<string, string>): void {
    this.builderBasedirs.clear();
    for (const [name, dir] of dirs) this.builderBasedirs.set(name, dir);
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

  async ping(timeoutMs = this.options.duplicatePingTimeoutMs): Promise<boolean> {
    if (this.gone) return false;
    try {
      await this.connection.request('keepalive', {}, { timeoutMs });
      return true;
    } catch (err) {
      // An exception answer still proves the peer is alive and reading.
      return err instanceof RemoteError;
    }
  }

  onDisconnect(listener: () => void): () => void {
    if (this.gone) {
      queueMicrotask(listener);
      return () => {};
    }
    (this.disconnectListeners ??= new Set()).add(listener);
    return () => { this.disconnectListeners?.delete(listener); };
  }

  async shutdown(): Promise<void> {
    if (this.gone) return;
    try {
      await this.connection.request('shutdown', {});
    } catch (err) {
      // A worker may close before its answer arrives: the connection going away is the shutdown.
      if (!(err instanceof ProtocolError && err.code === ErrorCodes.CONNECTION_CLOSED)) throw err;
    }
  }

  /** Sends a `print` message the worker writes to its log. */
  async print(message: string): Promise<void> {
    await this.connection.request('print', { message });
  }

  /** Closes the connection; running commands end with failure.lostConnection. */
  disconnect(code: number, reason: string): void {
    this.connection.close(code, reason);
  }

  private start(
    builderName: string, command: string, args: Record<string, unknown>, callbacks: CommandCallbacks | undefined,
    transfer: { writer?: FileWriter | DirectoryWriter; reader?: FileReader } | null,
  ): RunningCommand {
    const commandId = nextCommandId();
    const tracked = new TrackedCommand(commandId, command, (why) => this.interruptCommand(builderName, commandId, why), callbacks, this.options.logger);
    if (transfer?.writer) tracked.writer = transfer.writer;
    if (transfer?.reader) tracked.reader = transfer.reader;
    if (this.gone) {
      void tracked.fail(`worker ${this.name} is not connected`, true);
      return tracked;
    }
    const [commandName, wireArgs] = toWorkerArgs(this.pathFlavour, this.builderBasedir(builderName), this.info.environ, command, args);
    this.commands.set(commandId, tracked);
    // Internal commands (builder directory set-up) belong to no builder; Buildbot omits the field then.
    const fields = builderName === ''
      ? { command_id: commandId, command_name: commandName, args: wireArgs }
      : { builder_name: builderName, command_id: commandId, command_name: commandName, args: wireArgs };
    this.connection.request('start_command', fields).catch((err: Error) => {
      this.commands.delete(commandId);
      // Only a plain request timeout leaves the connection up; every other local error means it died.
      const lost = this.gone || !(err instanceof ProtocolError && err.code === ErrorCodes.REQUEST_TIMEOUT);
      if (err instanceof RemoteError) {
        void tracked.fail(`worker ${this.name} refused to start ${commandName}: ${err.message}`, false);
      } else if (lost) {
        void tracked.fail(`lost connection to worker ${this.name} while starting ${commandName}`, true);
      } else {
        void this.startNotAcknowledged(builderName, commandId, commandName, tracked, err);
      }
    });
    return tracked;
  }

  /**
   * `start_command` got no answer in time. A worker that does not answer a ping either is gone
   * (frozen, or a half-open connection after a network cut) and the keepalive would notice only
   * much later: the connection is dropped and the command ends as lost, so its build ends RETRY and
   * the request runs again instead of ending EXCEPTION. A worker that answers the ping is alive but
   * slow: the command fails, and the worker is asked to stop it in case it runs anyway.
   */
  private async startNotAcknowledged(builderName: string, commandId: string, commandName: string, tracked: TrackedCommand, err: Error): Promise<void> {
    if (!(await this.ping(this.options.duplicatePingTimeoutMs))) {
      const why = `worker ${this.name} stopped answering: no answer to start_command of ${commandName} within ${this.options.requestTimeoutMs} ms, nor to a ping within ${this.options.duplicatePingTimeoutMs} ms`;
      this.options.logger.warn({ worker: this.name, commandId }, `${why}; dropping its connection`);
      void tracked.fail(`${why}; the connection was dropped`, true);
      this.disconnect(CloseCodes.KEEPALIVE_TIMEOUT, why);
      return;
    }
    void this.connection.request('interrupt_command', { builder_name: builderName, command_id: commandId, why: 'start_command was not acknowledged' }).catch(() => {});
    void tracked.fail(`worker ${this.name} did not acknowledge ${commandName}: ${err.message}`, false);
  }

  private async interruptCommand(builderName: string, commandId: string, why: string): Promise<void> {
    if (this.gone || !this.commands.has(commandId)) return;
    try {
      await this.connection.request('interrupt_command', { builder_name: builderName, command_id: commandId, why });
    } catch (err) {
      // The command may have finished meanwhile, or the connection died: both end the command anyway.
      this.options.logger.debug({ err, worker: this.name, commandId }, 'interrupt_command was not acknowledged');
    }
  }

  private command(msg: Record<string, unknown>): TrackedCommand {
    const id = msg.command_id;
    const tracked = typeof id === 'string' || typeof id === 'number' ? this.commands.get(String(id)) : undefined;
    // The id comes from the worker: cut short, so the exception answer and the log stay small.
    if (!tracked) throw new Error(`unknown command_id ${shortText(JSON.stringify(id) ?? String(id))}: no such command is running on this connection`);
    return tracked;
  }

  private installHandlers(): void {
    const c = this.connection;
    // The answer waits for the consumer's backpressure, if any: that is what slows a fast worker down.
    c.setHandler('update', (msg) => {
      const wait = this.command(msg).applyUpdate(msg.args);
      return wait ? wait.then(() => null) : null;
    });
    c.setHandler('complete', async (msg) => {
      const tracked = this.command(msg);
      this.commands.delete(tracked.commandId);
      await tracked.complete(msg.args);
      return null;
    });
    c.setHandler('update_upload_file_write', (msg) => this.writeTo(msg, FileWriter));
    c.setHandler('update_upload_file_utime', (msg) => this.fileWriter(msg).utime(msg.access_time, msg.modified_time).then(() => null));
    c.setHandler('update_upload_file_close', (msg) => this.fileWriter(msg).close().then(() => null));
    c.setHandler('update_upload_directory_write', (msg) => this.writeTo(msg, DirectoryWriter));
    c.setHandler('update_upload_directory_unpack', async (msg) => {
      const tracked = this.command(msg);
      const writer = tracked.writer;
      if (!(writer instanceof DirectoryWriter)) throw new Error('update_upload_directory_unpack for a command that is not a directory upload');
      let unpacked;
      try { unpacked = await writer.unpack(); } catch (err) {
        tracked.localFailure = { message: `directory upload into ${writer.destination} failed: ${(err as Error).message}`, refused: isUploadRefusal(err) };
        throw err;
      }
      // What was left out (absolute symlinks) reaches the step's stdio log as a header line.
      if (unpacked.notice) await tracked.applyUpdate([['header', unpacked.notice]]);
      return null;
    });
    c.setHandler('update_read_file', (msg) => {
      const reader = this.command(msg).reader;
      if (!reader) throw new Error('update_read_file for a command that is not a download');
      return reader.read(msg.length);
    });
    c.setHandler('update_read_file_close', async (msg) => {
      const reader = this.command(msg).reader;
      if (!reader) throw new Error('update_read_file_close for a command that is not a download');
      await reader.close();
      return null;
    });
  }

  private fileWriter(msg: Record<string, unknown>): FileWriter {
    const writer = this.command(msg).writer;
    if (!(writer instanceof FileWriter)) throw new Error(`${String(msg.op)} for a command that is not a file upload`);
    return writer;
  }

  private async writeTo(msg: Record<string, unknown>, kind: typeof FileWriter | typeof DirectoryWriter): Promise<null> {
    const tracked = this.command(msg);
    const writer = tracked.writer;
    if (!(writer instanceof kind)) throw new Error(`${String(msg.op)} for a command that is not a ${kind === FileWriter ? 'file' : 'directory'} upload`);
    try { await writer.write(msg.args); } catch (err) {
      tracked.localFailure = { message: `upload to ${writer.destination} failed: ${(err as Error).message}`, refused: isUploadRefusal(err) };
      throw err;
    }
    return null;
  }

  private connectionLost(): void {
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
