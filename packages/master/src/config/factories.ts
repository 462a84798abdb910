/**
 * The helpers a config is written with. They only copy and brand their input: every check happens
 * in `normalise.ts`, which sees the whole config and can report all mistakes at once with paths.
 */
import { brand } from '../model/config-brand.js';
import type { BuilderOptions, UserConfig, WorkerOptions, WorkerPoolOptions, WorkerPoolSpec, WorkerSpec } from './types.js';

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

/** A builder: which workers may run it and the steps of each build. */
export function builder(options: BuilderOptions): BuilderOptions {
  return brand('builder', { ...options });
}
