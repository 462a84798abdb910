/**
 * The shape of a scheduler kind: what registry.ts lists for each `kind` a config can name. A kind
 * brings its config factory (`schedulers.<kind>(options)`), the option names it accepts, the checks
 * of its own options (the options every scheduler shares are checked by validate.ts first), and
 * the running scheduler. A new scheduler is one file (its options, its class on BaseScheduler, its
 * kind) plus its registry line.
 */
import { brand } from '../model/config-brand.js';
import type { IssueCollector } from '../model/config-errors.js';
import type { Obj } from '../model/config-checks.js';
import type { SchedulerServices } from './base.js';

/** What a kind's checks may need besides the options. */
export interface SchedulerCheckContext {
  /** Anchors relative paths (tryJobdir's jobdir); without it they stay relative to the working directory. */
  masterDir?: string;
}

export interface SchedulerKind<Spec extends { kind: string; name: string }, Options, Instance> {
  /** `schedulers.<kind>(options)` in a config: the spec, branded as a scheduler. */
  factory(options: Options): Spec;
  /** The option names it accepts, `kind` and the common ones included; others are refused with their path. */
  readonly keys: readonly string[];
  /**
   * Checks the kind's own options, reporting every mistake to `c` with its path, and writes
   * filled defaults into `out` (a copy of `raw` with the common options already filled).
   */
  check(c: IssueCollector, raw: Obj, out: Obj, ctx: SchedulerCheckContext): void;
  /** The running scheduler for a normalised spec. */
  create(spec: Spec, services: SchedulerServices): Instance;
}

/** Declares a kind (for type inference: the spec, option and instance types follow from its functions). */
export function schedulerKind<Spec extends { kind: string; name: string }, Options, Instance>(kind: SchedulerKind<Spec, Options, Instance>): SchedulerKind<Spec, Options, Instance> {
  return kind;
}

/** A scheduler spec as `schedulers.*` return it: the options plus the kind, branded for the config loader. */
export function schedulerSpec<S extends { kind: string; name: string }>(s: S): S {
  return brand('scheduler', s);
}
