/**
 * Wire constants and default limits of Twisted's Perspective Broker (PB) as Buildbot peers speak it:
 * banana framing, the PB dialect's short-string table, the broker version, and the limits a mastro
 * peer applies by default. Twisted's own limits keep their Twisted values; the ones Twisted lacks
 * (depth, items, expression size) are sized far above anything Buildbot sends.
 */

/** Banana type bytes: the byte that ends an element's base-128 header and says what the element is. */
export const BananaType = {
  LIST: 0x80,
  INT: 0x81,
  STRING: 0x82,
  NEG: 0x83,
  FLOAT: 0x84,
  LONGINT: 0x85,
  LONGNEG: 0x86,
  /** An entry of the PB dialect's short-string table (below), by its number. */
  VOCAB: 0x87,
} as const;

/**
 * The PB dialect's short-string table: index 1 upwards, in this order. A peer in the `pb` dialect
 * sends any of these byte strings as a VOCAB element (its number) instead of spelling it out; it
 * means the same byte string either way.
 */
export const PB_VOCABULARY: readonly string[] = [
  // jelly types
  'None', 'class', 'dereference', 'reference', 'dictionary', 'function', 'instance', 'list', 'module',
  'persistent', 'tuple', 'unpersistable',
  // PB types
  'copy', 'cache', 'cached', 'remote', 'local', 'lcache',
  // PB messages
  'version', 'login', 'password', 'challenge', 'logged_in', 'not_logged_in', 'cachemessage', 'message',
  'answer', 'error', 'decref', 'decache', 'uncache',
];

/** The dialects a server offers, in its order of preference (Twisted offers exactly these). */
export const BANANA_DIALECTS = ['pb', 'none'] as const;
export type BananaDialect = (typeof BANANA_DIALECTS)[number];

/** The broker protocol version both sides announce after the dialect is chosen (Twisted's `Broker.version`). */
export const PB_VERSION = 6;

/** Buildbot's default PB port for workers and `buildbot sendchange`. */
export const DEFAULT_PB_PORT = 9989;

/**
 * Longest string and longest list a banana element may declare (Twisted's `SIZE_LIMIT`, 640 KiB).
 * Twisted drops a connection that exceeds it, and refuses to send anything larger.
 */
export const DEFAULT_PB_MAX_ELEMENT_SIZE = 640 * 1024;

/** Bytes an element's base-128 header may take (Twisted's prefix limit: 64 bytes, integers up to 448 bits). */
export const DEFAULT_PB_PREFIX_LIMIT = 64;

/**
 * Nesting of lists in one expression. Twisted has no limit of its own (Python's recursion limit ends
 * it near 1000); Buildbot's deepest messages nest about 8 levels (message, arguments, command args,
 * environment).
 */
export const DEFAULT_PB_MAX_DEPTH = 64;

/**
 * Elements (strings, numbers, lists) in one top-level expression. Bounds the memory one expression
 * can make a receiver allocate, whatever its byte size: a change with 100,000 files stays well below.
 */
export const DEFAULT_PB_MAX_ITEMS = 1_000_000;

/**
 * Bytes of one top-level expression (16 MiB, the msgpack protocol's frame limit). Buildbot sends at
 * most one transfer block (16 KiB by default, never above the 640 KiB element limit) or one output
 * batch (64 KiB) per message.
 */
export const DEFAULT_PB_MAX_EXPRESSION_SIZE = 16 * 1024 * 1024;

/**
 * Objects this side lends the peer at once (Twisted's `MAX_BROKER_REFS`, 1024). A peer that never
 * releases what it is sent cannot grow the table beyond it.
 */
export const DEFAULT_PB_MAX_LOCAL_OBJECTS = 1024;

/** Distinct remote references the peer may hand this side at once (the mirror of the limit above). */
export const DEFAULT_PB_MAX_REMOTE_REFERENCES = 1024;

/** Calls this side may have waiting for an answer at once. */
export const DEFAULT_PB_MAX_PENDING_CALLS = 10_000;

/**
 * Calls from the peer this side may be running at once. Beyond it the broker stops reading the
 * socket until some finish: TCP then slows the peer (Buildbot's worker sends output without
 * waiting for answers), and memory stays bounded.
 */
export const DEFAULT_PB_MAX_INFLIGHT_CALLS = 256;

/** Bytes waiting to be sent beyond which the peer is taken not to read and the connection is closed. */
export const DEFAULT_PB_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Protocol errors the peer may cause per minute before the connection is closed (as for msgpack). */
export const DEFAULT_PB_MAX_PEER_ERRORS_PER_MINUTE = 20;

/**
 * Time a new connection has to finish the dialect handshake. A client that connects and says
 * nothing, or something that is not banana yet not invalid either (a short line of text), would
 * otherwise hold its connection forever.
 */
export const DEFAULT_PB_HANDSHAKE_TIMEOUT_MS = 30_000;
