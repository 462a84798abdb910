/**
 * The slice of the data layer the engine uses: state changes through `updates`, reads through
 * `reads`, events through `mq`. master.ts adapts the DataConnector to it; unit tests give a fake.
 */
import type { Updates, EngineReads } from '../data/updates-api.js';
import { childLogger, type Logger } from 'mastro-protocol';
import type { MessageQueue } from '../mq/bus.js';

export interface EngineData {
  readonly updates: Updates;
  readonly reads: EngineReads;
  readonly mq: MessageQueue;
}

/**
 * A child logger made on first use: a build makes one per phase, and most never log anything, so
 * creating pino children eagerly was a measurable cost per build.
 */
export function lazyChildLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  let real: Logger | null = null;
  const get = () => (real ??= childLogger(log, bindings));
  return {
    trace: (o, msg) => get().trace(o, msg),
    info: (o, msg) => get().info(o, msg),
    warn: (o, msg) => get().warn(o, msg),
    error: (o, msg) => get().error(o, msg),
    debug: (o, msg) => get().debug(o, msg),
    child: (more) => lazyChildLogger(log, { ...bindings, ...more }),
  };
}
