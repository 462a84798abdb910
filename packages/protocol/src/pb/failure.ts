/**
 * Failures over PB. A Twisted peer reports an error as a copy of `twisted.spread.pb.CopyableFailure`:
 * the exception's class name (`type`), its text (`value`), the names of its class and every base
 * class (`parents`, which `Failure.check` matches against) and a traceback text. Buildbot relies on
 * `parents`: its worker retries a login refused with `twisted.cred.error.UnauthorizedLogin` and
 * exits on any other failure; its master recognises `twisted.spread.flavors.NoSuchMethod`.
 */
import { PbCopy } from './jelly-types.js';

export const COPYABLE_FAILURE_TYPE = 'twisted.spread.pb.CopyableFailure';

/** Exception classes mastro raises to Python peers, with the base classes Python would list. */
export const FailureTypes = {
  UNAUTHORIZED_LOGIN: ['twisted.cred.error.UnauthorizedLogin', 'twisted.cred.error.LoginFailed', 'twisted.cred.error.Unauthorized', 'builtins.Exception', 'builtins.BaseException', 'builtins.object'],
  NO_SUCH_METHOD: ['twisted.spread.flavors.NoSuchMethod', 'builtins.AttributeError', 'builtins.Exception', 'builtins.BaseException', 'builtins.object'],
  INSECURE_JELLY: ['twisted.spread.jelly.InsecureJelly', 'builtins.Exception', 'builtins.BaseException', 'builtins.object'],
  PB_ERROR: ['twisted.spread.pb.Error', 'builtins.Exception', 'builtins.BaseException', 'builtins.object'],
  RUNTIME_ERROR: ['builtins.RuntimeError', 'builtins.Exception', 'builtins.BaseException', 'builtins.object'],
} as const satisfies Record<string, readonly string[]>;

/** A failure received from, or sent to, a PB peer. */
export class PbFailure {
  /** The exception class name, e.g. `twisted.cred.error.UnauthorizedLogin`. */
  readonly type: string;
  /** The exception's text (`str(exception)` on the Python side). */
  readonly value: string;
  /** `type` and its base classes, most specific first. */
  readonly parents: readonly string[];
  readonly traceback: string;

  constructor(fields: { type: string; value: string; parents?: readonly string[]; traceback?: string }) {
    this.type = fields.type;
    this.value = fields.value;
    this.parents = fields.parents ?? [fields.type];
    this.traceback = fields.traceback ?? 'Traceback unavailable\n';
  }

  /** A failure of one of the classes in `FailureTypes`. */
  static of(parents: readonly string[], value: string): PbFailure {
    return new PbFailure({ type: parents[0]!, value, parents });
  }

  /** True when the failure's class is `name` or derives from it (Twisted's `Failure.check`). */
  check(name: string): boolean { return this.parents.includes(name); }

  /**
   * The copy a Twisted peer unpacks into a `CopiedFailure`: the fields `Failure` methods read
   * (`type` as bytes, `value` and `traceback` as text, empty frames), as Twisted's own
   * `CopyableFailure.getStateToCopy` writes them.
   */
  toCopy(): PbCopy {
    return new PbCopy(COPYABLE_FAILURE_TYPE, {
      type: Buffer.from(this.type, 'utf8'), value: this.value, traceback: this.traceback, parents: [...this.parents],
      frames: [], stack: [], tb: null, count: 0, captureVars: false, unsafeTracebacks: 0,
    });
  }

  /** Builds a failure from the state of a received CopyableFailure copy; lenient about missing fields. */
  static fromCopyState(state: unknown): PbFailure {
    const s = (state !== null && typeof state === 'object' ? state : {}) as Record<string, unknown>;
    const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : fallback);
    const type = text(s.type, 'builtins.Exception');
    const parents = Array.isArray(s.parents) ? s.parents.map((p) => text(p, '')).filter(Boolean) : [type];
    return new PbFailure({ type, value: text(s.value, ''), parents, traceback: text(s.traceback, '') });
  }
}

/** An Error a PB handler throws to answer with a failure of a chosen Python class. */
export class PbError extends Error {
  readonly failure: PbFailure;
  constructor(parents: readonly string[], message: string) {
    super(message);
    this.name = 'PbError';
    this.failure = PbFailure.of(parents, message);
  }
}
