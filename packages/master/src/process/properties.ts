/**
 * A property set with sources, Buildbot-style: each property is [value, source]. Builds collect
 * properties from (in order, later wins) the buildset (changes, scheduler, force parameters),
 * the worker, the builder, the build itself and its steps. Values are deep-copied on the way in so
 * a step mutating an array it read cannot change the build's state behind its back.
 */
import type { PropertiesView } from './step-types.js';

export type PropertyDict = Record<string, [unknown, string]>;

export class Properties implements PropertiesView {
  private readonly props = new Map<string, [unknown, string]>();
  /** Names set at runtime (by steps) — they are the ones persisted again after the build starts. */
  private readonly runtimeNames = new Set<string>();
  private listener?: (name: string, value: unknown, source: string) => void;

  constructor(initial?: PropertyDict) {
    if (initial) this.updateFromPairs(initial);
  }

  /** Merges `name -> [value, source]` pairs (the stored/API shape). */
  updateFromPairs(dict: PropertyDict, opts?: { runtime?: boolean }): void {
    for (const [name, [value, source]] of Object.entries(dict)) this.setProperty(name, value, source, opts);
  }

  /** Merges `name -> value` with one source for all. */
  updateFromValues(dict: Record<string, unknown>, source: string, opts?: { runtime?: boolean }): void {
    for (const [name, value] of Object.entries(dict)) this.setProperty(name, value, source, opts);
  }

  getProperty<T = unknown>(name: string, defaultValue?: T): T | undefined {
    const entry = this.props.get(name);
    return entry ? (entry[0] as T) : defaultValue;
  }

  hasProperty(name: string): boolean {
    return this.props.has(name);
  }

  getPropertySource(name: string): string | undefined {
    return this.props.get(name)?.[1];
  }

  setProperty(name: string, value: unknown, source: string, opts?: { runtime?: boolean }): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('property name must be a non-empty string');
    // Strings, numbers and booleans are immutable: only containers (and what cannot be cloned, to throw) are copied.
    const copy = value === undefined ? null : isImmutable(value) ? value : structuredClone(value);
    this.props.set(name, [copy, source]);
    if (opts?.runtime) this.runtimeNames.add(name);
    this.listener?.(name, copy, source);
  }

  /** Called after each setProperty (the build persists properties through it). */
  onSet(listener: (name: string, value: unknown, source: string) => void): void {
    this.listener = listener;
  }

  keys(): string[] {
    return [...this.props.keys()];
  }

  asDict(): PropertyDict {
    const out: PropertyDict = {};
    for (const [k, v] of this.props) out[k] = [structuredClone(v[0]), v[1]];
    return out;
  }

  /** Plain name -> value map (for renderer functions and hooks). */
  asValues(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.props) out[k] = v[0];
    return out;
  }

  runtimeProperties(): PropertyDict {
    const out: PropertyDict = {};
    for (const k of this.runtimeNames) { const v = this.props.get(k); if (v) out[k] = v; }
    return out;
  }
}

function isImmutable(value: unknown): boolean {
  const t = typeof value;
  return value === null || t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint';
}
