/**
 * The helpers a config is written with. They only copy and brand their input: every check happens
 * in `normalise.ts`, which sees the whole config and can report all mistakes at once with paths.
 */
import { brand } from '../model/config-brand.js';
import type {
  BuilderOptions, CommandProviderOptions, DockerProviderOptions, LatentPoolOptions, LatentProviderSpec, LatentWorkerOptions, LocalProviderOptions,
  UserConfig, WorkerOptions, WorkerPoolOptions, WorkerPoolSpec, WorkerSpec,
} from './types.js';

declare const CONFIG_BRAND: unique symbol;
/** A config as returned by defineConfig (the brand only exists at the type level). */
export type DefinedConfig = UserConfig & { readonly [CONFIG_BRAND]?: true };

/** Typed identity: gives editors the config's types and marks the object as a mastro config. */
export function defineConfig(config: UserConfig): DefinedConfig {
  return brand('config', { ...config });
}

/** A worker that may connect with `name` / `password`. */
export function worker(name: string, password: unknown, options: WorkerOptions = {}): WorkerSpec {
  return brand('worker', { ...options, name, password });
}

/** A pool of workers that attach with its token instead of a name of their own (PROTOCOL.md §1.1). */
export function workerPool(options: WorkerPoolOptions): WorkerPoolSpec {
  return brand('workerPool', { ...options });
}

/** A provider's options, with a latent worker's own when the provider is the worker (`latent.docker({ name, image })`). */
type AsWorker<O> = O & Partial<Omit<LatentWorkerOptions, 'provider'>>;

function provider<K extends LatentProviderSpec['kind'], O>(kind: K) {
  return (options: AsWorker<O>) => brand('latentProvider', { ...options, kind }) as Extract<LatentProviderSpec, { kind: K }> & Partial<Omit<LatentWorkerOptions, 'provider'>>;
}

/**
 * `latent({ name, provider, ... })`: a named worker the master starts when a build waits for it and
 * stops when idle (workers/latent/). Its providers: `latent.docker({ image, ... })` (a container per
 * instance), `latent.local({...})` (a mastro-worker process on this host), `latent.command({ start,
 * stop })` (your own commands). As in Buildbot, a provider given a `name` is a latent worker itself:
 * `latent.docker({ name: 'd1', image: 'ci-worker' })`.
 */
export const latent = Object.assign(
  (options: LatentWorkerOptions): LatentWorkerOptions => brand('latentWorker', { ...options }),
  {
    docker: provider<'docker', DockerProviderOptions>('docker'),
    local: provider<'local', LocalProviderOptions>('local'),
    command: provider<'command', CommandProviderOptions>('command'),
  },
);

/** `latentPool({ name, provider, min, max, ... })`: up to `max` latent instances (`NAME/1`...), as many as waiting requests need, `min` kept warm. */
export function latentPool(options: LatentPoolOptions): LatentPoolOptions {
  return brand('latentPool', { ...options });
}

/** A builder: which workers may run it and the steps of each build. */
export function builder(options: BuilderOptions): BuilderOptions {
  return brand('builder', { ...options });
}
