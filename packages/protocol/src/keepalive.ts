/**
 * Keepalive with a reply deadline: every interval, ask the peer `keepalive`; when neither the answer
 * nor any other frame arrives within the timeout, the peer is declared dead. This bounds how long a
 * half-open connection (peer vanished without a FIN) can go unnoticed to interval + timeout.
 */
import { ErrorCodes, ProtocolError } from './errors.js';

export interface KeepaliveHooks {
  /** Sends one keepalive request; settles when answered (either way) or rejects on timeout. */
  ping(timeoutMs: number): Promise<unknown>;
  /** Time (ms, monotonic) of the last frame received from the peer. */
  lastReceivedAt(): number;
  /** Called once when the peer is declared dead. */
  onDead(err: ProtocolError): void;
}

export class Keepalive {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(private readonly intervalMs: number, private readonly timeoutMs: number, private readonly hooks: KeepaliveHooks) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = true;
    const sentAt = performance.now();
    this.hooks.ping(this.timeoutMs).then(
      () => { this.inFlight = false; },
      (err: unknown) => {
        this.inFlight = false;
        if (!(err instanceof ProtocolError) || err.code !== ErrorCodes.REQUEST_TIMEOUT) {
          // An exception answer still proves the peer alive (a Buildbot master answers the op with
          // "does not exist"); a closed connection needs no verdict.
          return;
        }
        // A peer busy streaming to us may answer late; any frame since the ping proves it alive.
        if (this.hooks.lastReceivedAt() > sentAt) return;
        this.stop();
        this.hooks.onDead(new ProtocolError(ErrorCodes.KEEPALIVE_TIMEOUT, { timeoutMs: this.timeoutMs }));
      },
    );
  }
}
