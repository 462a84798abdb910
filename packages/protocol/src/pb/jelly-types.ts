/**
 * JavaScript stand-ins for the Python values jelly carries that plain JS values cannot say:
 * a tuple to send (arrays go as lists), a copy of an object (a type name and its state), and the
 * marker Twisted sends in place of something it could not serialise.
 */

/** Sent as a Python tuple. Received tuples arrive as plain arrays. */
export class PbTuple {
  readonly items: readonly unknown[];
  constructor(...items: unknown[]) { this.items = items; }
}

/**
 * A copy of an object (Twisted's `pb.Copyable`): travels as `[typeName, state]`. The receiver builds
 * its own object from the state only if its allow-list names the type.
 */
export class PbCopy {
  constructor(readonly typeName: string, readonly state: unknown) {}
}

/** What a Twisted peer sends for a value it would not serialise (`['unpersistable', reason]`). */
export class Unpersistable {
  constructor(readonly reason: string) {}
}

/** Builds the local value for a received copy from its (already decoded) state; throws to refuse it. */
export type CopyableFactory = (state: unknown) => unknown;
