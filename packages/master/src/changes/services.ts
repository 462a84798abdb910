/** What the master hands every change source: the data layer's updates and state, the master directory, a logger. */
import type { Updates } from '../data/updates-api.js';
import type { ChangeSourceRegistry } from './registry.js';

/** The pino methods change sources log with (the master passes its pino logger). */
export interface ChangeSourceLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** For change sources built without a logger (tests, the benchmark). */
export const silentLogger: ChangeSourceLogger = { info() {}, warn() {}, error() {} };

export interface ChangeSourceServices {
  updates: Pick<Updates, 'addChange' | 'getState' | 'setState'>;
  /** Absolute master directory; a change source's working files (clones, mirrors) live under it. */
  masterDir: string;
  logger?: ChangeSourceLogger;
  /** Secret lookup for renderable credentials (`httpToken: util.secret('name')`). */
  getSecret?: (name: string) => Promise<string | undefined>;
  /** The master's running sources (the `changesources` API resource); without one a source is not listed. */
  registry?: ChangeSourceRegistry;
}
