/**
 * Latent worker providers by the spec's `kind` (`latent.docker({...})` gives 'docker'): each makes
 * a LatentProvider (provider.ts) from its spec. A new provider is its file plus one line here.
 *
 * A kind declares its options once (type, default, limits, doc): the config's normalisation fills
 * and checks them from the declaration (config/latent-workers.ts), and the published JSON Schema
 * is held to the same list by a test. `check` adds the rules a declaration cannot say.
 */
import type { LatentProvider } from './provider.js';
import { dockerKind } from './docker.js';
import { localKind } from './local.js';
import { commandKind } from './command.js';

export interface LatentProviderSpec { readonly kind: string }

/** What a provider is made with besides its spec. */
export interface ProviderContext extends SweepContext {
  /** The latent worker or latent pool the provider starts instances for. */
  owner: string;
}

export interface SweepContext {
  /** The master's name (`masterName`): instances are labelled with it, so a master finds its own. */
  masterName: string;
  /** Absolute master directory (relative paths in the spec are resolved against it). */
  masterDir: string;
  log: LatentLog;
}

export interface LatentLog {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/**
 * One option of a provider kind. Types: a string, a number (seconds where the doc says so), a list
 * of strings, a string-to-string record (environment, labels), any object (passed to the provider
 * as it is, e.g. Docker's HostConfig), a command (a string run by `sh -c`, or an argument list).
 */
export interface OptionDecl {
  type: 'string' | 'number' | 'strings' | 'env' | 'object' | 'command';
  required?: boolean;
  /** Filled in when the option is left out (absent and no default: undefined, or null when `nullable`). */
  default?: unknown;
  /** Smallest allowed number. */
  min?: number;
  /** null is a value of its own ("none"). */
  nullable?: boolean;
  doc: string;
}

export interface LatentProviderKind<S extends LatentProviderSpec = LatentProviderSpec> {
  readonly options: Readonly<Record<string, OptionDecl>>;
  /** Problems the declarations cannot express, by option name (a dockerHost that is no address). */
  check?(spec: S): Array<{ key: string; message: string }>;
  create(spec: S, ctx: ProviderContext): LatentProvider;
  /**
   * Stops this master's instances of owners no longer configured (a latent worker removed while the
   * master was down), for kinds whose listInstances only sees its own owner's. Resolves with how
   * many it stopped.
   */
  sweep?(ctx: SweepContext, owners: ReadonlySet<string>): Promise<number>;
}

export type LatentProviderKinds = Readonly<Record<string, LatentProviderKind<any>>>;

/** Options every provider takes. */
export const COMMON_PROVIDER_OPTIONS: Readonly<Record<string, OptionDecl>> = {
  masterAddress: {
    type: 'string',
    doc: "Where the instance's worker reaches the master, 'host' or 'host:port' (Buildbot's masterFQDN): it becomes BUILDMASTER and BUILDMASTER_PORT. Default: the worker port's host when it listens on one address, else this host's name (latent.local: 127.0.0.1); the port defaults to the worker port.",
  },
};

export const LATENT_PROVIDER_KINDS: LatentProviderKinds = {
  docker: dockerKind,
  local: localKind,
  command: commandKind,
};

export class LatentConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'LatentConfigError'; }
}

/** Makes the provider a spec names; `kinds` defaults to this master's (tests add their own). */
export function createLatentProvider(spec: LatentProviderSpec, kinds: LatentProviderKinds = LATENT_PROVIDER_KINDS, ctx?: ProviderContext): LatentProvider {
  const kind = Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
  if (!kind) {
    const known = Object.keys(kinds);
    throw new LatentConfigError(`unknown latent worker provider ${JSON.stringify(spec.kind)}; ${known.length ? `providers are: ${known.join(', ')}` : 'this mastro has no latent worker providers yet'}`);
  }
  return kind.create(spec, ctx ?? { masterName: 'mastro', masterDir: process.cwd(), owner: 'latent', log: SILENT });
}

const SILENT: LatentLog = { info() {}, warn() {}, error() {} };
