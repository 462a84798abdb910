/**
 * In-process event bus. Routing keys are tuples in Buildbot's style, e.g. ['builds', '12', 'new'] or
 * ['builds', '12', 'steps', '3', 'finished']. A subscription filter is a tuple of the same length in
 * which `null` matches any value. The interface is deliberately small (publish / subscribe /
 * hasSubscribers) so that a PostgreSQL LISTEN/NOTIFY implementation can replace it for multi-master
 * setups (such a bus answers `hasSubscribers` with true when other masters may be listening).
 */
export type RoutingKey = readonly string[];
export type RoutingFilter = readonly (string | null)[];
export type EventHandler<T = unknown> = (key: RoutingKey, data: T) => void;

export interface MessageQueue {
  publish(key: RoutingKey, data: unknown): void;
  /** Returns a function that removes the subscription. */
  subscribe<T = unknown>(filter: RoutingFilter, handler: EventHandler<T>): () => void;
  /**
   * Whether publishing `key` now would reach any subscriber. Publishers of costly payloads (live
   * log lines) ask first and skip building a payload nobody receives. May err towards true, never
   * towards false.
   */
  hasSubscribers(key: RoutingKey): boolean;
}

interface Subscription { filter: RoutingFilter; handler: EventHandler<any> }

function matches(filter: RoutingFilter, key: RoutingKey): boolean {
  if (filter.length !== key.length) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f !== null && f !== key[i]) return false;
  }
  return true;
}

export class InProcessMessageQueue implements MessageQueue {
  // Indexed by the first routing-key element so publishing does not scan unrelated subscriptions.
  private readonly byRoot = new Map<string | null, Set<Subscription>>();

  publish(key: RoutingKey, data: unknown): void {
    for (const root of [key[0] ?? null, null]) {
      const subs = this.byRoot.get(root);
      if (!subs) continue;
      for (const sub of subs) {
        if (!matches(sub.filter, key)) continue;
        try { sub.handler(key, data); } catch (err) {
          // A faulty subscriber must not break the publisher or the other subscribers.
          queueMicrotask(() => { throw err; });
        }
      }
    }
  }

  hasSubscribers(key: RoutingKey): boolean {
    for (const root of [key[0] ?? null, null]) {
      const subs = this.byRoot.get(root);
      if (!subs) continue;
      for (const sub of subs) if (matches(sub.filter, key)) return true;
    }
    return false;
  }

  subscribe<T = unknown>(filter: RoutingFilter, handler: EventHandler<T>): () => void {
    const sub: Subscription = { filter, handler };
    const root = filter[0] ?? null;
    let subs = this.byRoot.get(root);
    if (!subs) this.byRoot.set(root, (subs = new Set()));
    subs.add(sub);
    return () => { subs!.delete(sub); };
  }
}
