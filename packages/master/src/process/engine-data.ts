/**
 * The slice of the data layer the engine uses: state changes through `updates`, reads through
 * `reads`, events through `mq`. master.ts adapts the DataConnector to it; unit tests give a fake.
 */
import type { Updates, EngineReads } from '../data/updates-api.js';
import type { MessageQueue } from '../mq/bus.js';

export interface EngineData {
  readonly updates: Updates;
  readonly reads: EngineReads;
  readonly mq: MessageQueue;
}

/** pino-compatible logger (the subset the engine calls). */
export interface EngineLogger {
  info(o: unknown, msg?: string): void;
  warn(o: unknown, msg?: string): void;
  error(o: unknown, msg?: string): void;
  debug(o: unknown, msg?: string): void;
  child?(bindings: Record<string, unknown>): EngineLogger;
}

export const silentLogger: EngineLogger = { info() {}, warn() {}, error() {}, debug() {} };

export function childLogger(log: EngineLogger, bindings: Record<string, unknown>): EngineLogger {
  return log.child ? log.child(bindings) : log;
}

/**
 * A child logger made on first use: a build makes one per phase, and most never log anything, so
 * creating pino children eagerly was a measurable cost per build.
 */
export function lazyChildLogger(log: EngineLogger, bindings: Record<string, unknown>): EngineLogger {
  let real: EngineLogger | null = null;
  const get = () => (real ??= childLogger(log, bindings));
  return {
    info: (o, msg) => get().info(o, msg),
    warn: (o, msg) => get().warn(o, msg),
    error: (o, msg) => get().error(o, msg),
    debug: (o, msg) => get().debug(o, msg),
    child: (more) => lazyChildLogger(log, { ...bindings, ...more }),
  };
}
