/**
 * The worker: answers the master's requests on each connection the loop establishes, runs
 * commands, and shuts down gracefully (running commands finish first; `stop({ graceful: false })`
 * or a second stop interrupts them). Its commands never outlive it: a previous worker's leftovers in
 * the basedir are ended before it attaches, and a watchdog ends its commands if it dies
 * (process/orphan-guard.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { checkTags, poolNameProblem, workerUrl, type Encoding, type ProtocolConnection } from 'mastro-protocol';
import { ConnectionLoop } from './connection-loop.js';
import type { BackoffOptions } from 'mastro-protocol';
import { CommandRunner } from './command-runner.js';
import { commandRegistry } from './commands/registry.js';
import { resolveWorkerPath } from './paths.js';
import { applyWorkerSettings, defaultOutputSettings, type OutputSettings } from './settings.js';
import { workerInfo } from './worker-info.js';
import { silentLogger, type Logger } from 'mastro-protocol';
import { DEFAULT_KILL_GRACE_MS } from './process/run-process.js';
import { startOrphanGuard } from './process/orphan-guard.js';
import { DEFAULT_MAX_UPDATE_COST, DEFAULT_MAX_UPDATES_IN_FLIGHT } from './output/update-window.js';
import { DEFAULT_UPDATE_LINGER_MS } from './output/update-buffer.js';

export interface WorkerOptions {
  basedir: string;
  /** `host:port` or a `ws://` / `wss://` URL. */
  master: string;
  name: string;
  /**
   * The password; for a pool worker the pool's token. A function is asked before each connection
   * attempt (a token file re-read, so a rotated token is used from the next reconnect on).
   */
  password: string | (() => string);
  /** Join this pool (PROTOCOL.md §1.1): `name` is the worker's own name in it, `password` the pool's token. */
  pool?: string | null;
  /** Where the credentials come from, named when the master refuses them (default: worker.json). */
  credentialsSource?: string;
  /** The worker's own tags, reported in get_worker_info (PROTOCOL.md §3.5); checked with mastro-protocol's checkTags. */
  tags?: readonly string[];
  /** Speak JSON text frames instead of msgpack (default 'msgpack'). */
  encoding?: Encoding;
  backoff?: BackoffOptions;
  /** WebSocket ping interval to detect a vanished master, ms (default 60 000; null: off). */
  pingIntervalMs?: number | null;
  pingTimeoutMs?: number;
  maxFrameSize?: number;
  requestTimeoutMs?: number;
  /** Mask outgoing frames (default: only plain ws:// to a non-loopback host; see ConnectionLoopOptions). */
  maskFrames?: boolean;
  /** Let the master use paths outside the basedir (default false). */
  allowPathsOutsideBasedir?: boolean;
  /**
   * SIGTERM-to-SIGKILL grace for interrupted commands, ms (default 5000). Also used for the commands
   * of a worker that died (its watchdog, in whole seconds) and for a previous worker's leftovers.
   */
  killGraceMs?: number;
  /**
   * `update` requests of one command awaiting the master's acknowledgement (default 16). Output
   * produced beyond it is merged into one held-back update of up to `maxUpdateSize`.
   */
  maxUpdatesInFlight?: number;
  /**
   * Largest update, in Buildbot's cost units (characters of text + 16 per line for its offset and time),
   * that held-back output is merged into while the master is behind (default 1 MiB; the master's
   * `buffer_size` applies while it keeps up). The command's output pauses when it is full.
   */
  maxUpdateSize?: number;
  /**
   * With a mastro master (it asks for output as bytes): how long an update that reached the master's
   * `buffer_size` waits for more output, growing up to `maxUpdateSize` (default 20 ms; 0: send it at
   * once, as Buildbot's worker does). Fewer, bigger updates for fast commands; slow ones are unaffected.
   */
  updateLingerMs?: number;
  /** How long a non-graceful stop waits for interrupted commands, ms (default 10 000). */
  interruptWaitMs?: number;
  numcpus?: number;
  log?: Logger;
  /** Called when a connection attempt fails (refused, timed out, HTTP 401...). */
  onAttemptFailed?(reason: { message: string; status?: number }): void;
  /** Called when the master asks the worker to shut down (after the graceful stop began). */
  onShutdownRequested?(): void;
}

export interface RunningWorker {
  readonly basedir: string;
  /** True while a connection to the master is open. */
  readonly connected: boolean;
  readonly runningCommands: number;
  /** Resolves at the first established connection. */
  readonly firstConnection: Promise<void>;
  /** Calls `listener` on every connection (true) and disconnection (false). */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  /**
   * Stops the worker. Graceful (default): new commands are refused, running ones finish, then the
   * connection closes. Not graceful (or a second call): running commands are interrupted first.
   */
  stop(opts?: { graceful?: boolean }): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly stopped: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const basedir = path.resolve(options.basedir);
  mkdirSync(basedir, { recursive: true });
  const log = options.log ?? silentLogger;
  const url = workerUrl(options.master);
  const tags = checkTags(options.tags ?? []);
  if (options.pool) {
    const problem = poolNameProblem('pool name', options.pool) ?? poolNameProblem('worker name', options.name);
    if (problem) throw new Error(problem);
  }
  let settings: OutputSettings = defaultOutputSettings();
  const runners = new Map<string, CommandRunner>();
  const builderDirs = new Map<string, string>();
  const listeners = new Set<(c: boolean) => void>();
  let connected = false;
  let stopping: Promise<void> | null = null;
  let stopCount = 0;
  let resolveFirst!: () => void;
  const firstConnection = new Promise<void>((r) => { resolveFirst = r; });
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  const policy = { basedir, allowOutsideBasedir: !!options.allowPathsOutsideBasedir };
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  // Before attaching: nothing of a previous worker in this basedir may run beside our builds.
  const orphans = await startOrphanGuard({ basedir, graceMs: killGraceMs, log });
  void stopped.then(() => orphans.close());

  const builderDirOf = (builderName: unknown) => {
    if (typeof builderName !== 'string' || !builderName) return basedir;
    return builderDirs.get(builderName) ?? path.join(basedir, builderName);
  };

  function handle(conn: ProtocolConnection): void {
    // A new session starts with text output until its master asks for bytes (it may be a Buildbot master now).
    settings = { ...settings, outputBytes: false };
    conn.setHandler('print', (msg) => { log.info(`message from master: ${String(msg.message)}`); return null; });
    conn.setHandler('keepalive', () => null);
    conn.setHandler('get_worker_info', () => workerInfo(basedir, { numcpus: options.numcpus, tags }));
    conn.setHandler('set_worker_settings', (msg) => { settings = applyWorkerSettings(settings, msg.args, conn.encoding === 'msgpack'); return null; });
    conn.setHandler('set_builder_list', (msg) => {
      const list = (msg.builders ?? msg.args) as unknown;
      if (!Array.isArray(list)) throw new Error('set_builder_list needs a list of [name, builddir] pairs');
      for (const item of list) {
        const [name, dir] = Array.isArray(item) ? item : [item, item];
        if (typeof name !== 'string' || typeof dir !== 'string') throw new Error('set_builder_list entries must be [name, builddir] strings');
        const full = resolveWorkerPath(policy, basedir, dir);
        mkdirSync(full, { recursive: true });
        builderDirs.set(name, full);
      }
      return list.map((item) => (Array.isArray(item) ? item[0] : item));
    });
    conn.setHandler('start_command', (msg) => {
      if (stopping) throw new Error('the worker is shutting down and accepts no new commands');
      const commandId = String(msg.command_id);
      const name = String(msg.command_name);
      const definition = commandRegistry.get(name);
      if (!definition) throw new Error(`unrecognized WorkerCommand '${name}'`);
      if (runners.has(commandId)) throw new Error(`a command with id ${commandId} is already running`);
      const args = (msg.args && typeof msg.args === 'object' ? { ...(msg.args as Record<string, unknown>) } : {});
      const runner = new CommandRunner(commandId, name, definition, args, {
        request: (op, fields) => conn.request(op, fields),
        settings, basedir, builderDir: builderDirOf(msg.builder_name),
        resolvePath: (base, p) => resolveWorkerPath(policy, base, p),
        log, killGraceMs, processGroups: orphans,
        maxUpdatesInFlight: options.maxUpdatesInFlight ?? DEFAULT_MAX_UPDATES_IN_FLIGHT,
        maxUpdateCost: options.maxUpdateSize ?? DEFAULT_MAX_UPDATE_COST,
        updateLingerMs: options.updateLingerMs ?? DEFAULT_UPDATE_LINGER_MS,
      });
      runners.set(commandId, runner);
      runner.done.finally(() => runners.delete(commandId));
      runner.start();
      return null;
    });
    conn.setHandler('interrupt_command', (msg) => {
      const runner = runners.get(String(msg.command_id));
      if (!runner) { log.warn(`asked to interrupt command ${String(msg.command_id)}, but none was running`); return null; }
      runner.interrupt(String(msg.why ?? 'interrupted'));
      return null;
    });
    conn.setHandler('shutdown', () => {
      log.info('worker shutting down on request from the master');
      // Answer first, then stop: the master waits for the response.
      setImmediate(() => { void worker.stop({ graceful: true }); options.onShutdownRequested?.(); });
      return null;
    });
    connected = true;
    resolveFirst();
    for (const l of listeners) l(true);
    conn.closed.then(() => {
      connected = false;
      // A command cannot report to a master it lost; stop it rather than leave it orphaned.
      for (const runner of runners.values()) runner.detach();
      for (const l of listeners) l(false);
    });
  }

  const loop = new ConnectionLoop({
    url, name: options.name, password: options.password, pool: options.pool, credentialsSource: options.credentialsSource,
    encoding: options.encoding ?? 'msgpack',
    backoff: options.backoff, pingIntervalMs: options.pingIntervalMs, pingTimeoutMs: options.pingTimeoutMs,
    maxFrameSize: options.maxFrameSize, requestTimeoutMs: options.requestTimeoutMs, maskFrames: options.maskFrames,
    log, onConnection: handle, onAttemptFailed: options.onAttemptFailed,
  });

  async function waitForCommands(): Promise<void> {
    await Promise.all([...runners.values()].map((r) => r.done));
  }

  const worker: RunningWorker = {
    basedir,
    get connected() { return connected; },
    get runningCommands() { return runners.size; },
    firstConnection,
    onConnectionChange(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    stop(opts = {}) {
      stopCount++;
      const graceful = (opts.graceful ?? true) && stopCount === 1;
      if (!graceful) {
        log.info(`stopping now: interrupting ${runners.size} running command(s)`);
        for (const r of runners.values()) r.interrupt('worker shutting down');
        const waited = Promise.race([waitForCommands(), new Promise((r) => setTimeout(r, options.interruptWaitMs ?? 10_000).unref())]);
        const hard = waited.then(() => loop.stop('worker shutting down')).then(() => resolveStopped());
        stopping ??= hard;
        return hard;
      }
      if (stopping) return stopping;
      log.info(runners.size ? `stopping gracefully: waiting for ${runners.size} running command(s) to finish` : 'stopping');
      stopping = waitForCommands().then(() => loop.stop('worker shutting down')).then(() => resolveStopped());
      return stopping;
    },
    stopped,
  };
  return worker;
}
