/**
 * Options of the master's worker server, each with a documented, safe default. `resolveOptions`
 * turns the user's partial options into the fully-populated form the rest of this folder reads, so
 * no other module repeats a default.
 */
import {
  DEFAULT_HIGH_WATER_MARK, DEFAULT_KEEPALIVE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_PEER_ERRORS_PER_MINUTE,
  DEFAULT_MAX_WARNINGS_PER_MINUTE, silentLogger, type Logger, pb as pbProtocol,
} from 'mastro-protocol';

const { DEFAULT_PB_HANDSHAKE_TIMEOUT_MS, DEFAULT_PB_MAX_ELEMENT_SIZE, DEFAULT_PB_MAX_INFLIGHT_CALLS } = pbProtocol;
import type { LoginRateLimitOptions } from './login-rate-limiter.js';
import { WORKER_CONNECTION_DEFAULTS } from '../net/connection-limits.js';
import { MSGPACK_OPTION_DEFAULTS } from '../options/master.js';

export interface WorkerServerOptions {
  /** TCP port for worker WebSockets. Default 9989 (Buildbot's); 0 picks a free port (tests). */
  port?: number;
  /** Interface to listen on. Default: all interfaces (like Buildbot). */
  host?: string;
  /**
   * URL path workers connect to. Buildbot's msgpack workers connect to `ws://host:port` (path `/`);
   * default `null` accepts any path so both `ws://host:9989` and `ws://host:9989/ws` work.
   */
  path?: string | null;
  /** Largest incoming WebSocket frame in bytes; larger frames close the connection with 1009. Default 16 MiB. */
  maxFrameSize?: number;
  /**
   * How often the master sends `keepalive` to each worker. Default 20 s (Buildbot: 3600 s), so that
   * with the default timeout a frozen worker is noticed within 40 s (interval + timeout).
   * Buildbot workers answer it whatever their own `--keepalive` setting.
   */
  keepaliveIntervalMs?: number;
  /**
   * A worker that answers neither a keepalive nor sends anything else in this time is considered
   * dead and dropped (close code 4000); its builds end RETRY. Default 20 s.
   */
  keepaliveTimeoutMs?: number;
  /** Default time a master->worker request (start_command, interrupt, ...) may wait for its response. Default 30 s. */
  requestTimeoutMs?: number;
  /** How long the old connection of a duplicate worker name has to answer a ping. Default 5 s. */
  duplicatePingTimeoutMs?: number;
  /** Time a worker has to finish the attach sequence (info, settings, builder dirs). Default 60 s. */
  attachTimeoutMs?: number;
  /**
   * How long the master waits, after the upgrade, for an unhinted worker to speak first before it
   * starts the attach sequence. Default 0: a worker that sends no encoding hint (`X-Mastro-Encoding`
   * header or `?encoding=` query, see PROTOCOL.md) is spoken to in msgpack at once, as Buildbot
   * workers expect; a JSON-only worker must send the hint. Set it (e.g. 200) only to serve JSON
   * workers that cannot hint and open with a JSON request instead; every unhinted attach then pays it.
   */
  firstFrameGraceMs?: number;
  /** Failed-login limiting per remote address and worker name (upgrade-auth.ts). Default burst 10, then 0.2 per second. */
  loginRateLimit?: LoginRateLimitOptions;
  /**
   * Time a new connection has to send its whole upgrade request (headers); Node answers 408 and
   * closes it otherwise. After the upgrade the keepalive watches the connection. Default 30 s; 0 = none.
   * With PB on the same port, a connection that sends nothing at all is greeted as PB after
   * `pb.silenceMs` instead (PB's handshake timeout then applies).
   */
  headersTimeoutMs?: number;
  /**
   * Connections (attached workers included) one remote address may hold at once; more are answered
   * 503 and closed. Default 4096, so a large fleet behind one NAT address fits; 0 = no limit.
   */
  maxConnectionsPerAddress?: number;
  /** Hard cap on any single upload (file or directory tar) from a worker, whatever a step asks. Default 2 GiB. */
  maxUploadSize?: number;
  /**
   * Most files, directories and links one directory upload may create on the master. Default 100,000:
   * a gzip of a few kilobytes can describe a million empty files, each an inode on the master's disk.
   */
  maxUploadEntries?: number;
  /** Largest block a worker may request in one `update_read_file` (downloads). Default 1 MiB. */
  maxReadBlockSize?: number;
  /** Directory for in-flight directory-upload tarballs. Default: the OS temp dir. */
  tmpDir?: string;
  /** Validate every incoming message against the protocol schemas. Default true. */
  validate?: boolean;
  /** Socket bytes buffered before sends wait for drain. Default 4 MiB. */
  highWaterMark?: number;
  /**
   * Protocol errors one worker connection may cause per minute (unknown ops, invalid messages,
   * responses to requests nobody waits for) before the master closes it with 1008
   * MASTRO_PROTOCOL_TOO_MANY_PEER_ERRORS. Default 20; 0 = no limit.
   */
  maxPeerErrorsPerMinute?: number;
  /** Protocol warning lines one worker connection may log per minute; the rest are counted. Default 10; 0 = no limit. */
  maxWarningsPerMinute?: number;
  /**
   * Bytes waiting to be sent to one worker beyond which it is taken not to read and its connection is
   * closed with 1008 MASTRO_PROTOCOL_PEER_NOT_READING. Default 64 MiB; must exceed highWaterMark.
   */
  maxBufferedBytes?: number;
  /** Worker output settings sent with `set_worker_settings` (Buildbot's values by default). */
  workerSettings?: Partial<WorkerSettings>;
  /**
   * Buildbot's PB protocol (`protocols.pb`), what every Buildbot worker created without `--protocol`
   * speaks. Null (the default here) serves WebSocket workers only; a master's config turns it on by
   * default (config/pb-protocol.ts). The limits above that are not about
   * WebSocket frames apply to PB workers too (request and attach timeouts, keepalives, uploads,
   * protocol errors, unread bytes, failed logins, connections per address).
   */
  pb?: PbServerOptions | null;
  /** A pino-compatible logger. Default: silent. */
  logger?: Logger;
}

export interface PbServerOptions {
  /**
   * TCP port for PB. Default: the WebSocket port, shared: a client that speaks first (an HTTP
   * upgrade) is a WebSocket worker, one that stays silent is a PB client (PB servers speak first).
   * A different port gets a listener of its own.
   */
  port?: number;
  /** On a shared port, how long a new connection may stay silent before it is taken for a PB client. Default 500 ms. */
  silenceMs?: number;
  /** Time a PB client has to finish the banana handshake. Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Longest string or list one PB element may declare. Default 655360 (Twisted's 640 KiB). */
  maxElementSize?: number;
  /** Calls from one PB worker running at once before the master stops reading it (backpressure). Default 256. */
  maxInflightCalls?: number;
}

export type ResolvedPbOptions = Required<PbServerOptions>;

/** Default of `pb.silenceMs`: an HTTP client writes its request at once; PB clients wait to be spoken to. */
export const DEFAULT_PB_SILENCE_MS = 500;

/** What `set_worker_settings` carries: how the worker buffers and splits command output. */
export interface WorkerSettings {
  newline_re: string;
  max_line_length: number;
  /** Seconds. */
  buffer_timeout: number;
  buffer_size: number;
  /**
   * Ask msgpack workers for output as UTF-8 bytes (PROTOCOL.md §3.4): no decode, re-encode or line
   * bookkeeping per byte on either side. Default true; never sent to JSON workers. Buildbot ignores it.
   */
  mastro_output_bytes: boolean;
}

export type ResolvedOptions = Required<Omit<WorkerServerOptions, 'host' | 'workerSettings' | 'loginRateLimit' | 'pb'>> & {
  host: string | undefined;
  pb: ResolvedPbOptions | null;
  workerSettings: WorkerSettings;
  loginRateLimit: LoginRateLimitOptions;
};

/** Buildbot's worker port, declared with `protocols.msgpack.port` (options/master.ts). */
export const DEFAULT_WORKER_PORT = MSGPACK_OPTION_DEFAULTS.port;
/**
 * Default of `keepaliveIntervalMs`. The product promises a frozen worker (SIGSTOP, a hung host, a
 * half-open connection) is noticed within 45 s: interval + timeout is the worst case, 40 s here,
 * leaving room for a loaded event loop. One small request per worker every 20 s is cheap even for
 * 10,000 workers (500 a second).
 */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 20_000;
/** Default of `maxUploadEntries`. */
export const DEFAULT_MAX_UPLOAD_ENTRIES = 100_000;

/**
 * Buildbot's newline expression: `\r\n`, a lone `\r` not at the end of the buffer, cursor-control
 * sequences and runs of backspaces all count as line ends (progress bars stay readable).
 */
export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  newline_re: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)',
  max_line_length: 4096,
  buffer_timeout: 5,
  buffer_size: 64 * 1024,
  mastro_output_bytes: true,
};


/** PB's options with their defaults; `workerPort` is the default port (shared). */
export function resolvePbOptions(options: PbServerOptions, workerPort: number): ResolvedPbOptions {
  return {
    port: options.port ?? workerPort,
    silenceMs: options.silenceMs ?? DEFAULT_PB_SILENCE_MS,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_PB_HANDSHAKE_TIMEOUT_MS,
    maxElementSize: options.maxElementSize ?? DEFAULT_PB_MAX_ELEMENT_SIZE,
    maxInflightCalls: options.maxInflightCalls ?? DEFAULT_PB_MAX_INFLIGHT_CALLS,
  };
}

export function resolveOptions(options: WorkerServerOptions = {}): ResolvedOptions {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (options.maxBufferedBytes !== undefined && options.maxBufferedBytes <= highWaterMark) {
    throw new RangeError(`maxBufferedBytes (${options.maxBufferedBytes}) must be larger than highWaterMark (${highWaterMark}): sends wait for drain at the high-water mark, the connection closes at maxBufferedBytes`);
  }
  const port = options.port ?? DEFAULT_WORKER_PORT;
  const pb = options.pb ? resolvePbOptions(options.pb, port) : null;
  return {
    port,
    pb,
    host: options.host,
    path: options.path ?? null,
    maxFrameSize: options.maxFrameSize ?? 16 * 1024 * 1024,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS,
    keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    duplicatePingTimeoutMs: options.duplicatePingTimeoutMs ?? 5_000,
    attachTimeoutMs: options.attachTimeoutMs ?? 60_000,
    firstFrameGraceMs: options.firstFrameGraceMs ?? 0,
    loginRateLimit: options.loginRateLimit ?? {},
    headersTimeoutMs: options.headersTimeoutMs ?? WORKER_CONNECTION_DEFAULTS.headersTimeoutMs,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? WORKER_CONNECTION_DEFAULTS.maxConnectionsPerAddress,
    maxUploadSize: options.maxUploadSize ?? 2 * 1024 * 1024 * 1024,
    maxUploadEntries: options.maxUploadEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES,
    maxReadBlockSize: options.maxReadBlockSize ?? 1024 * 1024,
    tmpDir: options.tmpDir ?? '',
    validate: options.validate ?? true,
    highWaterMark,
    maxPeerErrorsPerMinute: options.maxPeerErrorsPerMinute ?? DEFAULT_MAX_PEER_ERRORS_PER_MINUTE,
    maxWarningsPerMinute: options.maxWarningsPerMinute ?? DEFAULT_MAX_WARNINGS_PER_MINUTE,
    maxBufferedBytes: options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 4 * highWaterMark),
    workerSettings: { ...DEFAULT_WORKER_SETTINGS, ...options.workerSettings },
    logger: options.logger ?? silentLogger,
  };
}
