/**
 * The worker commands steps compose, in ONE place. Arguments use Buildbot's master-side names, with
 * paths relative to the builder directory (`dir`, `fromdir`/`todir`, `file` + `workdir`, `path`); the
 * worker connection turns them into the absolute wire form (`paths`, `from_path`, ...) exactly as
 * Buildbot 3.7's msgpack protocol layer does (buildbot/worker/protocols/msgpack.py remoteStartCommand).
 */
import { posix, win32 } from 'node:path';
import type { RunCommandOptions, StepCommandResult, StepRuntime } from '../process/step-types.js';

/** Default seconds without output before the worker kills a command (Buildbot: 20 minutes). */
export const DEFAULT_COMMAND_TIMEOUT_S = 1200;

export interface ShellInvocation {
  command: string | readonly string[];
  /** Relative to the builder directory. */
  workdir: string;
  env?: Record<string, string | string[]> | null;
  wantStdout?: boolean;
  wantStderr?: boolean;
  /** name -> worker-side file followed into a log of that name. */
  logfiles?: Record<string, string | { filename: string; follow?: boolean }>;
  timeout?: number | null;
  maxTime?: number | null;
  sigtermTime?: number | null;
  initialStdin?: string | null;
  interruptSignal?: string | null;
  logEnviron?: boolean;
  usePTY?: boolean;
}

export function shellArgs(inv: ShellInvocation): Record<string, unknown> {
  const args: Record<string, unknown> = {
    workdir: inv.workdir,
    command: typeof inv.command === 'string' ? inv.command : [...inv.command],
    env: inv.env ?? null,
    want_stdout: inv.wantStdout ?? true,
    want_stderr: inv.wantStderr ?? true,
    logfiles: inv.logfiles ?? {},
    timeout: inv.timeout === undefined ? DEFAULT_COMMAND_TIMEOUT_S : inv.timeout,
    maxTime: inv.maxTime ?? null,
    sigtermTime: inv.sigtermTime ?? null,
    usePTY: inv.usePTY ?? false,
    logEnviron: inv.logEnviron ?? true,
    initial_stdin: inv.initialStdin ?? null,
  };
  if (inv.interruptSignal) args.interruptSignal = inv.interruptSignal;
  return args;
}

export function runShell(rt: StepRuntime, inv: ShellInvocation, opts?: RunCommandOptions): Promise<StepCommandResult> {
  const runOpts: RunCommandOptions = { ...opts };
  // Each worker-side logfile becomes a step log of the same name unless the caller routed it already.
  if (inv.logfiles && !runOpts.logfiles) runOpts.logfiles = Object.fromEntries(Object.keys(inv.logfiles).map((k) => [k, k]));
  return rt.runCommand('shell', shellArgs(inv), runOpts);
}

/** Joins worker-side path parts with the worker's own separator. */
export function workerJoin(rt: StepRuntime, ...parts: string[]): string {
  return (rt.worker.pathFlavour === 'win32' ? win32 : posix).join(...parts);
}

export interface WorkerStat {
  mode: number;
  size: number;
  mtime: number;
  isFile: boolean;
  isDirectory: boolean;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** `stat` of `file` relative to `workdir` (builder-relative); undefined when it does not exist. */
export async function statPath(rt: StepRuntime, file: string, workdir: string, opts?: RunCommandOptions): Promise<WorkerStat | undefined> {
  const res = await rt.runCommand('stat', { file, workdir }, { stdioLog: null, ...opts });
  const st = res.updates.stat;
  if (res.rc !== 0 || !Array.isArray(st)) return undefined;
  const mode = Number(st[0]);
  return {
    mode,
    size: Number(st[6] ?? 0),
    mtime: Number(st[8] ?? 0),
    isFile: (mode & S_IFMT) === S_IFREG,
    isDirectory: (mode & S_IFMT) === S_IFDIR,
  };
}

export function rmdir(rt: StepRuntime, dir: string | string[], opts?: RunCommandOptions & { timeout?: number }): Promise<StepCommandResult> {
  const { timeout, ...runOpts } = opts ?? {};
  return rt.runCommand('rmdir', { dir, logEnviron: false, timeout: timeout ?? DEFAULT_COMMAND_TIMEOUT_S }, runOpts);
}

export function mkdir(rt: StepRuntime, dir: string, opts?: RunCommandOptions): Promise<StepCommandResult> {
  return rt.runCommand('mkdir', { dir, logEnviron: false }, opts);
}

export function cpdir(rt: StepRuntime, fromdir: string, todir: string, opts?: RunCommandOptions & { timeout?: number }): Promise<StepCommandResult> {
  const { timeout, ...runOpts } = opts ?? {};
  return rt.runCommand('cpdir', { fromdir, todir, logEnviron: false, timeout: timeout ?? DEFAULT_COMMAND_TIMEOUT_S }, runOpts);
}

/** Names in `dir` (builder-relative), or undefined when the directory does not exist. */
export async function listdir(rt: StepRuntime, dir: string, opts?: RunCommandOptions): Promise<string[] | undefined> {
  const res = await rt.runCommand('listdir', { dir }, { stdioLog: null, ...opts });
  const files = res.updates.files;
  if (res.rc !== 0 || !Array.isArray(files)) return undefined;
  return files.map(String);
}

/** Worker paths matching a glob pattern (builder-relative pattern; the worker returns full paths). */
export async function glob(rt: StepRuntime, pattern: string, opts?: RunCommandOptions): Promise<string[]> {
  const res = await rt.runCommand('glob', { path: pattern }, { stdioLog: null, ...opts });
  const files = res.updates.files;
  return res.rc === 0 && Array.isArray(files) ? files.map(String) : [];
}

/** Writes `data` into `workerDest` (relative to `workdir`) through download_file. */
export function downloadData(
  rt: StepRuntime,
  data: Buffer | string,
  workerDest: string,
  workdir: string,
  opts?: RunCommandOptions & { mode?: number | null; maxsize?: number | null; blocksize?: number },
): Promise<StepCommandResult> {
  const { mode, maxsize, blocksize, ...runOpts } = opts ?? {};
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return rt.runRemote(
    (w, builderName, cb) => w.downloadFile(builderName, { workdir, source: { data: buf }, workerDest, mode: mode ?? null, maxsize: maxsize ?? null, blocksize }, cb),
    runOpts,
  );
}
