/**
 * The shape of a change-source kind: what registry.ts lists for each `kind` a config can name.
 * A kind brings its config factory (`changes.<kind>(options)`), the option names it accepts,
 * the check that fills its defaults, the name that identifies a source, and the running source.
 * The master and the config loader know change sources only through this interface, so a new
 * change source is one folder (or file) exporting a `ChangeSourceKind` plus its registry line.
 */
import type { IssueCollector } from '../model/config-errors.js';
import type { Obj } from '../model/config-checks.js';
import type { ChangeSourceServices } from './services.js';

/** A running change source: the master starts it after a (re)config and stops it when it goes away. */
export interface ChangeSource {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** What the `changesources` API resource shows about it (last poll, errors, connection). */
  status?(): unknown;
}

export interface ChangeSourceKind<Spec extends { kind: string }, Options> {
  /** `changes.<kind>(options)` in a config: the spec, branded as a change source. */
  factory(options: Options): Spec;
  /**
   * The option names it accepts, `kind` included: others are refused with their path (and the
   * schema test holds the published schema to them when the schema has a definition of the kind).
   */
  readonly keys: readonly string[];
  /** Checks the options (reporting every mistake to `c` with its path) and fills the defaults; null when unusable. */
  normalise(raw: Obj, c: IssueCollector): Spec | null;
  /** The name that identifies the source (two sources of a config need different names). */
  name(spec: Spec): string;
  /** The running source for a normalised spec. */
  create(spec: Spec, services: ChangeSourceServices): ChangeSource;
  /** The YAML form, when some options are not plain data in TypeScript ({ regex } for a RegExp, { secret } for util.secret). */
  fromYaml?(options: Obj): Options;
}

/** Declares a kind (only for type inference: the spec and option types follow from `factory`). */
export function changeSourceKind<Spec extends { kind: string }, Options>(kind: ChangeSourceKind<Spec, Options>): ChangeSourceKind<Spec, Options> {
  return kind;
}
