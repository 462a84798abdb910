/** Wire-level constants shared by the master and the worker. */

/** The protocol name Buildbot uses for this transport (`buildbot-worker create-worker --protocol=...`). */
export const PROTOCOL_NAME = 'msgpack_experimental_v7';

/** The master's default worker port, as in Buildbot. */
export const DEFAULT_PORT = 9989;

/**
 * Upgrade-request header in which a worker names the encoding it speaks (`json` or `msgpack`), so the
 * master, which speaks first, uses it from its first message. The query `?encoding=` is equivalent.
 */
export const ENCODING_HEADER = 'X-Mastro-Encoding';

/**
 * Largest frame a connection accepts by default (16 MiB). Buildbot sends at most one file block
 * (default blocksize 16 KiB) or one update batch (buffer_size 64 KiB) per frame, so this leaves
 * ample room while bounding the memory a single peer can make us hold.
 */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** How long a request waits for its response by default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * How long a keepalive may stay unanswered (with nothing else received) before the peer is declared
 * dead. With the master's default interval (20 s, workers/options.ts) a frozen peer is noticed
 * within 40 s; any frame the peer sends meanwhile counts as an answer, so a busy peer is not dropped.
 */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;

/** Bytes queued on the socket before `request()` and responses wait for the socket to drain. */
export const DEFAULT_HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Bound on requests awaiting a response on one connection. */
export const DEFAULT_MAX_PENDING_REQUESTS = 10_000;

/** After a local close, how long to wait for the peer's close frame before destroying the socket. */
export const DEFAULT_CLOSE_GRACE_MS = 1_000;

/**
 * Protocol errors a peer may cause per minute (unknown ops, invalid messages answered with an
 * exception, responses nobody waits for) before the connection is closed. A well-behaved peer causes
 * none in normal operation (a late response after a timeout is the rare exception), so this only
 * stops a peer that keeps sending garbage at wire speed.
 */
export const DEFAULT_MAX_PEER_ERRORS_PER_MINUTE = 20;

/** Warning lines one connection logs per minute; the rest are counted and reported with the next line. */
export const DEFAULT_MAX_WARNINGS_PER_MINUTE = 10;

/**
 * Bytes waiting to be sent (socket buffer plus frames held back) beyond which the peer is taken not
 * to read what it is sent and the connection is closed: 16 times the default high-water mark, so only
 * a peer that stopped reading (while it keeps sending requests) reaches it.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Settings the Buildbot 3.7 master sends with `set_worker_settings`; a worker's defaults before it hears them. */
export const DEFAULT_WORKER_SETTINGS = {
  newline_re: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)',
  max_line_length: 4096,
  buffer_timeout: 5,
  buffer_size: 64 * 1024,
} as const;
