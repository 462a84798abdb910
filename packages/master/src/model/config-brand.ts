/**
 * Brands mark objects built by the config helpers. They use `Symbol.for` (the global symbol
 * registry) rather than `instanceof` because a config file is loaded through tsx in its own module
 * namespace: its `mastro` import is a second instance of this package, whose classes are not the
 * master's classes, while `Symbol.for('mastro.config.builder')` is the same symbol in both.
 */
export const CONFIG_KIND: unique symbol = Symbol.for('mastro.config.kind') as any;

export type ConfigKind = 'config' | 'worker' | 'workerPool' | 'latentWorker' | 'latentPool' | 'latentProvider' | 'builder' | 'scheduler' | 'changeSource' | 'reporter' | 'generator';

export function brand<T extends object>(kind: ConfigKind, value: T): T {
  Object.defineProperty(value, CONFIG_KIND, { value: kind, enumerable: false });
  return value;
}

export function kindOf(value: unknown): ConfigKind | undefined {
  return typeof value === 'object' && value !== null ? (value as any)[CONFIG_KIND] : undefined;
}
