/**
 * Publishes a resource event on every routing key Buildbot's `eventPathPatterns` give it, so
 * subscribers can listen at any nesting (['builds', null, 'finished'] or ['builders', '3', 'builds', null, 'new']).
 * Each resource module (resources/*.ts) declares its own paths next to its reads and writes.
 */
import type { MessageQueue } from '../mq/bus.js';

/** The routing-key prefixes of one event, e.g. [['builds', 7], ['builders', 3, 'builds', 2]]. */
export type EventPaths = ReadonlyArray<ReadonlyArray<string | number>>;

export class EventPublisher {
  constructor(private readonly mq: MessageQueue) {}

  /** Publishes `msg` as `<path>/<event>` for each path. */
  publish(paths: EventPaths, event: string, msg: unknown): void {
    for (const p of paths) this.mq.publish([...p.map(String), event], msg);
  }

  /** Whether an event on these paths would reach anyone: costly payloads are built only when it would. */
  wanted(paths: EventPaths, event: string): boolean {
    return paths.some((p) => this.mq.hasSubscribers([...p.map(String), event]));
  }
}
