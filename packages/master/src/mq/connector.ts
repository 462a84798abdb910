/**
 * Picks the master's message bus from the config's `mq` option, as Buildbot's `mq/connector.py`
 * picks `simple` or `wamp` from `c['mq']`. Everything above this layer codes against the
 * `MessageQueue` interface of bus.ts and never names a backend, so a new backend (a PostgreSQL
 * LISTEN/NOTIFY bus for several masters) is one file plus its line in BACKENDS.
 *
 *   mq: { type: 'simple' }   (the default) the in-process bus of one master (bus.ts)
 *
 * A type that does not exist is refused with the list of those that do, at config check time
 * (`mqOptionIssues`, so `mastro checkconfig` names it) and again here (a master built by code).
 */
import { InProcessMessageQueue, type MessageQueue } from './bus.js';
import { MQ_OPTION_DEFAULTS } from '../options/master.js';
import { ErrorCodes } from '../errors/catalog.js';

export interface MqOptions {
  /**
   * Which bus carries the master's events.
   * @default 'simple' (in-process: one master; Buildbot's default too)
   */
  type?: string;
}

/** Declared with the `mq` option (options/master.ts). */
export const MQ_DEFAULTS: Required<MqOptions> = { type: MQ_OPTION_DEFAULTS.type };

/** One backend: how to make it. Backends with options of their own will list and check them here. */
interface MqBackend { create(): MessageQueue }

const BACKENDS: Readonly<Record<string, MqBackend>> = {
  simple: { create: () => new InProcessMessageQueue() },
};

/** The bus types this master has, for messages and the schema sync test. */
export const MQ_TYPES: readonly string[] = Object.keys(BACKENDS);

export class MqConfigError extends Error {
  readonly code = ErrorCodes.MQ_TYPE_UNKNOWN;
  constructor(message: string) { super(message); this.name = 'MqConfigError'; }
}

function unknownType(type: unknown): string {
  return `unknown message queue type ${JSON.stringify(type)}; types are: ${MQ_TYPES.join(', ')} (Buildbot's 'wamp' has no counterpart: mastro's bus for several masters comes with multiMaster)`;
}

/** What is wrong with an `mq` option, as [option, message] pairs (empty when it can be used). */
export function mqOptionIssues(raw: unknown): Array<[string, string]> {
  if (raw === undefined) return [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [['', `must be an object such as { type: 'simple' }, got ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw}`]];
  const issues: Array<[string, string]> = [];
  for (const key of Object.keys(raw)) if (key !== 'type') issues.push([key, "unknown option; the message queue takes only 'type'"]);
  const type = (raw as MqOptions).type;
  if (type !== undefined && !(typeof type === 'string' && Object.hasOwn(BACKENDS, type))) issues.push(['type', unknownType(type)]);
  return issues;
}

/** The options with their defaults filled (after mqOptionIssues found nothing). */
export function resolveMqOptions(raw: MqOptions | undefined): Required<MqOptions> {
  return { ...MQ_DEFAULTS, ...(raw ?? {}) };
}

/** Creates the bus `options` name; throws MqConfigError naming the types that exist for any other. */
export function createMessageQueue(options: MqOptions = MQ_DEFAULTS): MessageQueue {
  const type = options.type ?? MQ_DEFAULTS.type;
  const backend = Object.hasOwn(BACKENDS, type) ? BACKENDS[type] : undefined;
  if (!backend) throw new MqConfigError(`mq.type: ${unknownType(type)}`);
  return backend.create();
}
