/**
 * The RemoteCommand API: how build steps (process/, steps/) talk to a connected worker.
 * Implemented by the worker manager in this folder over the Buildbot msgpack protocol; consumed by
 * steps. Steps never see protocol messages, only these calls.
 */

/** One `update` from a worker: Buildbot 3.7 sends a list of [key, value] pairs. */
export type UpdatePair = [key: string, value: unknown];

export interface CommandResult {
  /** Exit code for `shell`; 0 for successful file commands; undefined if the command failed to run. */
  rc: number | null;
  /**
   * Set when the worker reported an exception (`complete` with a failure) or the connection was lost.
   * `refused`: the master refused the upload (over a limit, malformed), which fails the step rather
   * than erring it, as a worker that hits `maxsize` does.
   */
  failure?: { message: string; lostConnection?: boolean; refused?: boolean };
  /** Every update value by key, last one wins (`stat`, `files`, `elapsed`, `rc`, ...). */
  updates: Record<string, unknown>;
  interrupted: boolean;
}

export interface CommandCallbacks {
  /**
   * Called for each update pair as it arrives, in order (`stdout`, `stderr`, `header`, `log`, `rc`, ...).
   * A returned promise is backpressure: the worker's `update` is acknowledged only once it settles
   * (later updates are still delivered in order meanwhile; the worker's in-flight window bounds them).
   */
  onUpdate?(pair: UpdatePair): void | Promise<unknown> | null;
}

export interface RunningCommand {
  readonly commandId: string;
  readonly result: Promise<CommandResult>;
  /** Sends `interrupt_command`; resolves once the worker acknowledged it. */
  interrupt(why: string): Promise<void>;
}

export interface WorkerInfo {
  environ?: Record<string, string>;
  system?: string;
  basedir?: string;
  numcpus?: number;
  version?: string;
  worker_commands?: Record<string, string>;
  admin?: string;
  host?: string;
  access_uri?: string;
  [key: string]: unknown;
}

/** A connected worker as steps see it. */
export interface RemoteWorker {
  readonly name: string;
  readonly info: WorkerInfo;
  /** The path module matching the worker's OS ('posix' or 'win32'), for composing worker-side paths. */
  readonly pathFlavour: 'posix' | 'win32';
  /**
   * Starts a raw command (`shell`, `stat`, `glob`, `listdir`, `mkdir`, `rmdir`, `rmfile`, `cpdir`, ...).
   * Args use Buildbot's step-level names, relative to the builder's directory on the worker, and are
   * turned into worker paths exactly as Buildbot's msgpack master does: shell `workdir`; mkdir/rmdir
   * `dir` (string or list); cpdir `fromdir`/`todir`; stat `file` (+ `workdir`); listdir `dir`;
   * glob/rmfile `path`. An absolute path stays absolute; args already in worker form (`paths`,
   * `from_path`, ...) pass through unchanged.
   */
  startCommand(builderName: string, command: string, args: Record<string, unknown>, callbacks?: CommandCallbacks): RunningCommand;
  /** upload_file: copies `workerPath` (relative to the builder dir + workdir) into `masterPath`. */
  uploadFile(builderName: string, opts: { workdir: string; workerSrc: string; masterDest: string; maxsize?: number | null; blocksize?: number; keepstamp?: boolean; mode?: number | null }, callbacks?: CommandCallbacks): RunningCommand;
  /**
   * upload_directory: the worker sends a tar of the directory; extracted safely into `masterDest`.
   * `maxsize` bounds the bytes sent and the bytes extracted, `maxEntries` the entries extracted
   * (both within the master's maxUploadSize and maxUploadEntries).
   */
  uploadDirectory(builderName: string, opts: { workdir: string; workerSrc: string; masterDest: string; maxsize?: number | null; maxEntries?: number | null; blocksize?: number; compress?: 'gz' | 'bz2' | null }, callbacks?: CommandCallbacks): RunningCommand;
  /** download_file: the worker reads `source` (a master file path or an in-memory buffer) into `workerDest`. */
  downloadFile(builderName: string, opts: { workdir: string; source: { path: string } | { data: Buffer }; workerDest: string; maxsize?: number | null; blocksize?: number; mode?: number | null }, callbacks?: CommandCallbacks): RunningCommand;
  /** Pings the worker; resolves false when it does not answer in time. */
  ping(timeoutMs?: number): Promise<boolean>;
  /**
   * False once the connection is gone (set before `onDisconnect` listeners and the manager's
   * 'detached' run): the distributor starts no build on it. Undefined counts as connected.
   */
  readonly connected?: boolean;
  /** Fires once when the connection is gone (running commands then end with failure.lostConnection). */
  onDisconnect(listener: () => void): () => void;
  /** Asks the worker to shut down gracefully. */
  shutdown(): Promise<void>;
  /** Where the worker connected from (`ip`), for the UI and logs. */
  readonly remoteAddress?: string;
  /** The builders this worker serves on this master (set by the manager's setBuilderList). */
  readonly builderNames?: readonly string[];
  /** The builder's directory on the worker (`<basedir>/<builddir>`), for the `builddir` property. */
  builderBasedir?(builderName: string): string;
}

/** The master's worker manager as the rest of the master sees it. */
export interface WorkerManagerEvents {
  attached(worker: RemoteWorker): void;
  detached(worker: RemoteWorker): void;
}
