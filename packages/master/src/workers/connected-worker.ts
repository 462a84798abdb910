/**
 * A msgpack (WebSocket) worker connection seen as the RemoteWorker API of `types.ts`: turns step
 * calls into protocol requests and routes the worker's `update`/`complete`/transfer messages to the
 * right command (what all connections share is in worker-connection.ts). One instance per
 * WebSocket; it never outlives its connection.
 */
import { ErrorCodes, ProtocolError, RemoteError, shortText, type ProtocolConnection } from 'mastro-protocol';
import type { ResolvedOptions } from './options.js';
import type { TrackedCommand } from './tracked-command.js';
import { fileWriterOf, readerOf, unpackDirectory, writeBlock } from './transfer-calls.js';
import { defaultBuilddir, joinWorkerPath, toWorkerArgs } from './worker-paths.js';
import { WorkerConnection } from './worker-connection.js';

export class ConnectedWorker extends WorkerConnection {
  private readonly builderBasedirs = new Map<string, string>();

  constructor(name: string, readonly connection: ProtocolConnection, remoteAddress: string, options: ResolvedOptions) {
    super(name, remoteAddress, options);
    this.installHandlers();
    connection.closed.then(() => this.connectionLost(), () => this.connectionLost());
  }

  get builderNames(): string[] { return [...this.builderBasedirs.keys()]; }

  builderBasedir(builderName: string): string {
    return this.builderBasedirs.get(builderName)
      ?? joinWorkerPath(this.pathFlavour, this.info.basedir ?? '', defaultBuilddir(builderName));
  }

  setBuilderBasedirs(dirs: Map<string, string>): void {
    this.builderBasedirs.clear();
    for (const [name, dir] of dirs) this.builderBasedirs.set(name, dir);
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

  async shutdown(): Promise<void> {
    if (this.gone) return;
    try {
      await this.connection.request('shutdown', {});
    } catch (err) {
      // A worker may close before its answer arrives: the connection going away is the shutdown.
      if (!(err instanceof ProtocolError && err.code === ErrorCodes.CONNECTION_CLOSED)) throw err;
    }
  }

  async print(message: string): Promise<void> {
    await this.connection.request('print', { message });
  }

  disconnect(code: number, reason: string): void {
    this.connection.close(code, reason);
  }

  protected send(builderName: string, tracked: TrackedCommand, args: Record<string, unknown>): void {
    const [commandName, wireArgs] = toWorkerArgs(this.pathFlavour, this.builderBasedir(builderName), this.info.environ, tracked.commandName, args);
    const commandId = tracked.commandId;
    // Internal commands (builder directory set-up) belong to no builder; Buildbot omits the field then.
    const fields = builderName === ''
      ? { command_id: commandId, command_name: commandName, args: wireArgs }
      : { builder_name: builderName, command_id: commandId, command_name: commandName, args: wireArgs };
    this.connection.request('start_command', fields).catch((err: Error) => {
      // Only a plain request timeout leaves the connection up; every other local error means it died.
      this.startFailed(builderName, tracked, commandName, 'start_command', err instanceof RemoteError ? { kind: 'refused', message: err.message }
        : err instanceof ProtocolError && err.code === ErrorCodes.REQUEST_TIMEOUT ? { kind: 'unanswered', message: err.message } : { kind: 'lost' });
    });
  }

  protected async sendInterrupt(builderName: string, commandId: string, why: string): Promise<void> {
    await this.connection.request('interrupt_command', { builder_name: builderName, command_id: commandId, why });
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
    c.setHandler('update_upload_file_write', (msg) => writeBlock(this.command(msg), 'file', msg.args, String(msg.op)));
    c.setHandler('update_upload_file_utime', (msg) => fileWriterOf(this.command(msg), String(msg.op)).utime(msg.access_time, msg.modified_time).then(() => null));
    c.setHandler('update_upload_file_close', (msg) => fileWriterOf(this.command(msg), String(msg.op)).close().then(() => null));
    c.setHandler('update_upload_directory_write', (msg) => writeBlock(this.command(msg), 'directory', msg.args, String(msg.op)));
    c.setHandler('update_upload_directory_unpack', (msg) => unpackDirectory(this.command(msg), String(msg.op)));
    c.setHandler('update_read_file', (msg) => readerOf(this.command(msg), String(msg.op)).read(msg.length));
    c.setHandler('update_read_file_close', (msg) => readerOf(this.command(msg), String(msg.op)).close().then(() => null));
  }
}
