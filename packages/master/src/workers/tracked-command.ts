/**
 * One command running on a worker, as the master tracks it: updates are applied in arrival order
 * (handlers run synchronously per frame, so order on the wire is order here), `complete` or a lost
 * connection settles `result` exactly once. File-transfer commands carry their writer or reader.
 */
import type { Logger } from 'mastro-protocol';
import type { CommandCallbacks, CommandResult, RunningCommand, UpdatePair } from './types.js';
import type { FileWriter } from './file-writer.js';
import type { DirectoryWriter } from './directory-writer.js';
import type { FileReader } from './file-reader.js';
import { isUploadRefusal } from './upload-errors.js';

let lastCommandId = 0;
/** Command ids are unique for the life of the master process (Buildbot uses a counter too). */
export function nextCommandId(): string { return String(++lastCommandId); }

export class TrackedCommand implements RunningCommand {
  readonly result: Promise<CommandResult>;
  writer: FileWriter | DirectoryWriter | null = null;
  reader: FileReader | null = null;
  /**
   * A master-side failure (e.g. an unsafe tar entry) that explains the worker's failure better;
   * `refused` when the master refused the upload (isUploadRefusal) rather than failed itself.
   */
  localFailure: { message: string; refused: boolean } | null = null;
  private readonly updates: Record<string, unknown> = {};
  private interrupted = false;
  private settled = false;
  private settle!: (r: CommandResult) => void;

  constructor(
    readonly commandId: string,
    readonly commandName: string,
    private readonly sendInterrupt: (why: string) => Promise<void>,
    private readonly callbacks: CommandCallbacks | undefined,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    this.result = new Promise((resolve) => { this.settle = resolve; });
  }

  get done(): boolean { return this.settled; }

  /**
   * Applies one `update`: Buildbot 3.7 sends a list of [key, value] pairs; a plain map is accepted too.
   * Returns null, or a promise to settle before the update is acknowledged (a consumer's backpressure).
   */
  applyUpdate(args: unknown): Promise<unknown> | null {
    if (this.settled) return null;
    let wait: Promise<unknown> | null = null;
    if (Array.isArray(args)) {
      for (const pair of args) {
        if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string') wait = this.deliver(pair as UpdatePair) ?? wait;
        else throw new TypeError('update args must be a list of [key, value] pairs');
      }
    } else if (args !== null && typeof args === 'object') {
      for (const [key, value] of Object.entries(args)) wait = this.deliver([key, value]) ?? wait;
    } else {
      throw new TypeError('update args must be a list of [key, value] pairs');
    }
    return wait;
  }

  /** `complete` from the worker: `failure` is null on success, else the worker's error text. */
  async complete(failure: unknown): Promise<void> {
    if (this.settled) return;
    const failed = failure !== null && failure !== undefined;
    let message = this.localFailure?.message ?? (failed ? String(failure) : null);
    let refused = this.localFailure?.refused ?? false;
    let rc = typeof this.updates.rc === 'number' ? this.updates.rc : message !== null ? null : 0;
    if (this.writer && message === null && rc === 0) {
      try { await this.writer.commit(); } catch (err) {
        message = `upload to ${this.writer.destination} could not be completed: ${(err as Error).message}`;
        refused = isUploadRefusal(err);
        rc = null;
      }
    }
    await this.releaseTransfer();
    const failureField = message !== null ? { failure: { message, ...(refused ? { refused } : {}) } } : {};
    this.finish({ rc, updates: this.updates, interrupted: this.interrupted, ...failureField });
  }

  /** The command could not start or its connection died. */
  async fail(message: string, lostConnection: boolean): Promise<void> {
    if (this.settled) return;
    await this.releaseTransfer();
    const rc = typeof this.updates.rc === 'number' && !lostConnection ? this.updates.rc : null;
    this.finish({ rc, updates: this.updates, interrupted: this.interrupted, failure: { message, ...(lostConnection ? { lostConnection } : {}) } });
  }

  async interrupt(why: string): Promise<void> {
    if (this.settled) return;
    this.interrupted = true;
    await this.sendInterrupt(why);
  }

  /** Hands one pair to the consumer; returns its backpressure promise (never rejecting), if any. */
  private deliver(pair: UpdatePair): Promise<unknown> | null {
    this.updates[pair[0]] = pair[1];
    const onUpdate = this.callbacks?.onUpdate;
    if (!onUpdate) return null;
    try {
      const wait = onUpdate(pair);
      // Only the timing matters to the worker: a consumer's failure is logged, never sent back.
      return wait instanceof Promise ? wait.catch((err) => this.consumerFailed(err)) : null;
    } catch (err) {
      this.consumerFailed(err);
      return null;
    }
  }

  private consumerFailed(err: unknown): void {
    // A faulty consumer must not turn into a protocol exception for the worker.
    this.logger.warn({ err, commandId: this.commandId }, 'onUpdate callback threw; update dropped by consumer');
  }

  private async releaseTransfer(): Promise<void> {
    const { writer, reader } = this;
    this.writer = null;
    this.reader = null;
    // A transfer that did not complete leaves no partial file behind; after a clean close, cancel
    // only tidies the (already moved) spool file, so it is safe either way.
    if (writer) await writer.cancel();
    if (reader) await reader.close().catch(() => {});
  }

  private finish(result: CommandResult): void {
    this.settled = true;
    this.settle(result);
  }
}
