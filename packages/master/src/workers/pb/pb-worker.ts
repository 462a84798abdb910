/**
 * A Buildbot worker speaking PB, seen as the same RemoteWorker API msgpack workers present
 * (types.ts, worker-connection.ts): a build step cannot tell which protocol its worker speaks. It
 * drives the worker the way Buildbot's PB master does (buildbot/worker/protocols/pb.py):
 * `getWorkerInfo` on the worker's bot (the mind it lent at login), `setBuilderList` for one object
 * per builder, `startCommand` on that object with a command object (and a writer or reader) lent
 * for the worker's callbacks, `interruptCommand`, `print`, `shutdown`.
 */
import { CloseCodes, pb } from 'mastro-protocol';
import type { ResolvedOptions } from '../options.js';
import type { TrackedCommand } from '../tracked-command.js';
import { FileWriter } from '../file-writer.js';
import { normaliseBuilders, type BuilderSpec } from '../builder-dirs.js';
import { defaultBuilddir, joinWorkerPath } from '../worker-paths.js';
import { WorkerConnection, type Transfer } from '../worker-connection.js';
import { toPbArgs } from './pb-args.js';
import { commandObject, directoryWriterObject, fileWriterObject, readerObject } from './pb-command.js';

export class PbWorker extends WorkerConnection {
  private readonly builders = new Map<string, { ref: pb.RemoteReference; basedir: string }>();

  constructor(
    name: string,
    readonly broker: pb.Broker,
    /** The worker's bot, lent at login: the object the master calls. */
    readonly mind: pb.RemoteReference,
    remoteAddress: string,
    options: ResolvedOptions,
    /** How often the worker is pinged; one that does not answer within keepaliveTimeoutMs is dropped. 0: never. */
    keepaliveIntervalMs: number = options.keepaliveIntervalMs,
  ) {
    super(name, remoteAddress, options);
    void broker.closed.then(() => this.connectionLost());
    if (keepaliveIntervalMs > 0) this.keepAlive(keepaliveIntervalMs);
  }

  /** Resolves when the connection is gone. */
  get closed(): Promise<unknown> { return this.broker.closed; }
  get builderNames(): string[] { return [...this.builders.keys()]; }

  builderBasedir(builderName: string): string {
    return this.builders.get(builderName)?.basedir
      ?? joinWorkerPath(this.pathFlavour, this.info.basedir ?? '', defaultBuilddir(builderName));
  }

  /** The attach sequence's first step: what the worker says about itself. */
  async readInfo(): Promise<void> {
    this.setInfo(await this.call(this.mind, 'getWorkerInfo', []));
  }

  /**
   * Tells the worker which builders it serves (it creates their directories, and removes leftover
   * ones when started with delete_leftover_dirs) and keeps the object it answers for each.
   */
  async setBuilderList(specs: readonly BuilderSpec[]): Promise<void> {
    const list = normaliseBuilders(specs);
    const answer = await this.call(this.mind, 'setBuilderList', [list.map((b) => new pb.PbTuple(b.name, b.builddir))]);
    if (!answer || typeof answer !== 'object' || Array.isArray(answer)) throw new Error(`worker ${this.name} answered setBuilderList with something other than a dictionary`);
    const refs = answer as Record<string, unknown>;
    const previous = [...this.builders.values()].map((b) => b.ref);
    this.builders.clear();
    for (const b of list) {
      const ref = refs[b.name];
      if (!(ref instanceof pb.RemoteReference)) throw new Error(`worker ${this.name} did not set up builder ${b.name}`);
      this.builders.set(b.name, { ref, basedir: joinWorkerPath(this.pathFlavour, this.info.basedir ?? '', b.builddir) });
    }
    const kept = new Set([...this.builders.values()].map((b) => b.ref));
    for (const ref of previous) if (!kept.has(ref)) ref.release();
  }

  /**
   * Buildbot's PB master pings hourly with `print(message="keepalive")`, a line in the worker's log
   * each time. mastro pings every keepaliveIntervalMs, so it asks `getVersion`, which every
   * buildbot-worker answers without logging. Any answer (even an error) proves the worker reads.
   */
  async ping(timeoutMs = this.options.duplicatePingTimeoutMs): Promise<boolean> {
    if (this.gone) return false;
    try {
      await this.mind.callRemoteWith('getVersion', [], { timeoutMs });
      return true;
    } catch (err) {
      return err instanceof pb.PbRemoteError;
    }
  }

  async print(message: string): Promise<void> {
    await this.mind.callRemoteWith('print', [], { kwargs: { message }, timeoutMs: this.options.requestTimeoutMs });
  }

  async shutdown(): Promise<void> {
    if (this.gone) return;
    try {
      await this.mind.callRemote('shutdown');
    } catch (err) {
      // The worker exits right after it answers, and may close first: the connection going away is the shutdown.
      if (!(err instanceof pb.PbProtocolError && err.code === pb.PbErrorCodes.CONNECTION_LOST)) throw err;
    }
  }

  /** PB has no close codes: `code` only goes to the log. */
  disconnect(code: number, reason: string): void {
    this.options.logger.debug({ worker: this.name, code }, `closing the PB connection: ${reason}`);
    this.broker.close(reason);
  }

  protected send(builderName: string, tracked: TrackedCommand, args: Record<string, unknown>, transfer: Transfer | null): void {
    const builder = this.builders.get(builderName);
    let name: string;
    let wireArgs: Record<string, unknown>;
    try {
      if (!builder) throw new Error(`it does not serve builder ${builderName || '(none)'} on this master (a PB worker runs commands only for the builders in its builder list)`);
      const lent = transfer?.writer ? { writer: transfer.writer instanceof FileWriter ? fileWriterObject(tracked) : directoryWriterObject(tracked) }
        : transfer?.reader ? { reader: readerObject(tracked) } : {};
      [name, wireArgs] = toPbArgs(tracked.commandName, args, lent);
    } catch (err) {
      this.commands.delete(tracked.commandId);
      void tracked.fail(`cannot run ${tracked.commandName} on worker ${this.name}: ${(err as Error).message}`, false);
      return;
    }
    const ref = commandObject(tracked, () => this.commands.delete(tracked.commandId));
    this.call(builder.ref, 'startCommand', [ref, tracked.commandId, name, wireArgs]).catch((err: Error) => {
      this.startFailed(builderName, tracked, name, 'startCommand', err instanceof pb.PbRemoteError ? { kind: 'refused', message: err.failure.value || err.message }
        : err instanceof pb.PbProtocolError && err.code === pb.PbErrorCodes.CALL_TIMEOUT ? { kind: 'unanswered', message: err.message } : { kind: 'lost' });
    });
  }

  protected async sendInterrupt(builderName: string, commandId: string, why: string): Promise<void> {
    const builder = this.builders.get(builderName);
    if (!builder) return;
    await this.call(builder.ref, 'interruptCommand', [commandId, why]);
  }

  /**
   * A worker that stops answering (frozen, or a half-open connection after a network cut) is
   * dropped, so its builds end RETRY and run again elsewhere, as for msgpack workers.
   */
  private keepAlive(intervalMs: number): void {
    const timer = setInterval(() => {
      void this.ping(this.options.keepaliveTimeoutMs).then((alive) => {
        if (alive || this.gone) return;
        const why = `worker ${this.name} did not answer a ping within ${this.options.keepaliveTimeoutMs} ms (keepaliveTimeoutMs)`;
        this.options.logger.warn({ worker: this.name }, `${why}; dropping its connection`);
        this.disconnect(CloseCodes.KEEPALIVE_TIMEOUT, why);
      });
    }, intervalMs);
    timer.unref?.();
    void this.broker.closed.then(() => clearInterval(timer));
  }

  private call(target: pb.RemoteReference, method: string, args: unknown[]): Promise<unknown> {
    return target.callRemoteWith(method, args, { timeoutMs: this.options.requestTimeoutMs });
  }
}
