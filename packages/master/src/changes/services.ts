/** What the master hands every change source: the data layer's updates and state, the master directory, a logger. */
import type { Logger } from 'mastro-protocol';
import type { Updates } from '../data/updates-api.js';
import type { ChangeSourceRegistry } from './running.js';

export interface ChangeSourceServices {
  updates: Pick<Updates, 'addChange' | 'getState' | 'setState'>;
  /** Absolute master directory; a change source's working files (clones, mirrors) live under it. */
  masterDir: string;
  /** The master's pino logger; none logs nothing (tests, the benchmark). */
  logger?: Logger;
  /** Secret lookup for renderable credentials (`httpToken: util.secret('name')`). */
  getSecret?: (name: string) => Promise<string | undefined>;
  /** The master's running sources (the `changesources` API resource); without one a source is not listed. */
  registry?: ChangeSourceRegistry;
}
