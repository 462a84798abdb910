/**
 * Runs one child process with Buildbot's RunProcess semantics: header lines describing what runs,
 * stdout/stderr streamed as updates, `logfiles` followed, a no-output `timeout` and a total
 * `maxTime`, initial stdin, and a kill that reaches the whole process tree (its own process group
 * on POSIX): the interrupt signal (SIGTERM by default) and SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { buildEnvironment } from './env.js';
import { signalTree, treeAlive, type TreeSignal } from './kill-tree.js';
import { LogfileWatcher, DEFAULT_LOGFILE_POLL_MS } from './logfile-watcher.js';
import type { ProcessGroupTracker } from './orphan-guard.js';
import { shellQuote } from './shell-quote.js';
import { spawnSpec } from './spawn-spec.js';
import type { UpdatePair } from '../output/update-buffer.js';
import type { Logger } from 'mastro-protocol';

/** A command argument the master wants hidden from logs: `['obfuscated', real, fake]`. */
type Arg = string | [tag: 'obfuscated', real: string, fake: string];
export type CommandLine = string | Arg[];

export interface RunProcessOptions {
  command: CommandLine;
  workdir: string;
  env?: Record<string, unknown> | null;
  sendStdout?: boolean;
  sendStderr?: boolean;
  /** Send `rc` (and the kill header) at the end (file commands running `rm`/`cp` do it themselves). */
  sendRC?: boolean;
  /** Seconds without output before the process is killed (null: never). */
  timeout?: number | null;
  /** Seconds in total before the process is killed (null: never). */
  maxTime?: number | null;
  /** Seconds between the interrupt signal and SIGKILL; defaults to `killGraceMs`. */
  sigtermTime?: number | null;
  /** First signal of a kill (Buildbot's `interruptSignal`); default TERM. */
  interruptSignal?: TreeSignal;
  initialStdin?: string | null;
  logfiles?: Record<string, string | { filename: string; follow?: boolean }>;
  logEnviron?: boolean;
  killGraceMs?: number;
  /** If the process still has not ended this long after SIGKILL, give up on it (ms). */
  backupTimeoutMs?: number;
  logfilePollMs?: number;
  sendUpdate(pairs: UpdatePair[]): void;
  /** Backpressure from the connection: while congested, the child's pipes are paused. */
  flow?: { readonly congested: boolean; whenDrained(): Promise<void> };
  log?: Logger;
  platform?: NodeJS.Platform;
  /** Told the command's process group when it starts and when it ended (so it dies with the worker). */
  groups?: ProcessGroupTracker;
}

export const DEFAULT_KILL_GRACE_MS = 5000;
const DEFAULT_BACKUP_TIMEOUT_MS = 5000;

const real = (a: Arg) => (Array.isArray(a) ? a[1] : a);
const fake = (a: Arg) => (Array.isArray(a) ? a[2] : a);
const secs = (n: number) => `${n} ${n === 1 ? 'sec' : 'secs'}`;

function isObfuscated(a: unknown): a is [ 'obfuscated', string, string ] {
  return Array.isArray(a) && a.length === 3 && a[0] === 'obfuscated';
}

export class RunProcess {
  private child: ChildProcess | null = null;
  private ioTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private backupTimer: NodeJS.Timeout | null = null;
  private killed = false;
  private paused = false;
  private watchers: LogfileWatcher[] = [];
  private finish: ((rc: number) => void) | null = null;
  private fail: ((err: Error) => void) | null = null;
  private startTime = 0;
  private readonly platform: NodeJS.Platform;
  readonly display: string;
  private readonly argv: string[];
  private readonly fakeArgv: string[] | null;

  constructor(private readonly o: RunProcessOptions) {
    this.platform = o.platform ?? process.platform;
    if (typeof o.command === 'string') {
      this.argv = [];
      this.fakeArgv = null;
      this.display = o.command;
    } else {
      const args = o.command.map((a) => (isObfuscated(a) ? a : String(a))) as Arg[];
      this.argv = args.map(real);
      this.fakeArgv = args.map(fake);
      this.display = shellQuote(this.fakeArgv, this.platform);
    }
  }

  /** Starts the process; resolves with the exit code (-1 when killed by a signal). */
  run(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      try { this.start(); } catch (err) {
        this.o.sendUpdate([['stderr', `error in RunProcess._startCommand (${(err as Error).message})\n`]]);
        this.cleanup();
        reject(err);
      }
    });
  }

  /** Kills the process tree (interrupt, timeouts). Safe to call more than once. */
  kill(message: string): void {
    if (!this.child || this.killed) return;
    this.clearTimers();
    const msg = `${message}, attempting to kill`;
    this.o.log?.info(msg);
    this.o.sendUpdate([['header', `\n${msg}\n`]]);
    this.killed = true;
    const pid = this.child.pid;
    if (pid === undefined) return;
    const first = this.o.interruptSignal ?? 'TERM';
    signalTree(pid, first, this.platform);
    if (first !== 'KILL') {
      const grace = this.o.sigtermTime != null ? this.o.sigtermTime * 1000 : (this.o.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      this.killTimer = setTimeout(() => { this.killTimer = null; signalTree(pid, 'KILL', this.platform); this.armBackup(); }, grace);
    } else this.armBackup();
  }

  get pid(): number | undefined { return this.child?.pid; }

  private armBackup(): void {
    this.backupTimer = setTimeout(() => {
      this.backupTimer = null;
      if (!this.finish) return;
      this.o.sendUpdate([['header', 'SIGKILL failed to kill process\n']]);
      if (this.o.sendRC !== false) this.o.sendUpdate([['header', 'using fake rc=-1\n'], ['rc', -1]]);
      const fail = this.fail!;
      this.cleanup();
      fail(new Error('SIGKILL failed to kill process'));
    }, this.o.backupTimeoutMs ?? DEFAULT_BACKUP_TIMEOUT_MS);
  }

  private header(text: string): void { this.o.sendUpdate([['header', text]]); }

  private start(): void {
    const spec = spawnSpec(typeof this.o.command === 'string' ? this.o.command : this.argv, this.platform, process.env.COMSPEC);
    mkdirSync(this.o.workdir, { recursive: true });
    const env = buildEnvironment(this.o.env, process.env, this.platform === 'win32' ? ';' : ':', this.platform);
    if (env.MACHTYPE !== 'i686-pc-msys') env.PWD = path.resolve(this.o.workdir);

    this.header(`${this.display}\n`);
    let where = ` in dir ${this.o.workdir}`;
    if (this.o.timeout) where += ` (timeout ${secs(this.o.timeout)})`;
    if (this.o.maxTime) where += ` (maxTime ${secs(this.o.maxTime)})`;
    this.header(`${where}\n`);
    this.header(` watching logfiles ${JSON.stringify(this.o.logfiles ?? {})}\n`);
    this.header(` argv: ${JSON.stringify(this.fakeArgv ?? this.display)}\n`);
    if (this.o.logEnviron !== false) {
      this.header(' environment:\n' + Object.keys(env).sort().map((k) => `  ${k}=${env[k]}\n`).join(''));
    }
    const stdin = this.o.initialStdin ?? null;
    if (stdin) this.header(` writing ${Buffer.byteLength(stdin)} bytes to stdin\n`);
    this.header(' using PTY: False\n');

    for (const [name, spec] of Object.entries(this.o.logfiles ?? {})) {
      const filename = typeof spec === 'string' ? spec : spec.filename;
      const follow = typeof spec === 'string' ? false : !!spec.follow;
      this.watchers.push(new LogfileWatcher(name, path.resolve(this.o.workdir, filename), follow,
        (n, text) => this.onOutput('log', text, n), this.o.logfilePollMs ?? DEFAULT_LOGFILE_POLL_MS));
    }

    const { file, args, verbatim, detached } = spec;
    this.startTime = performance.now();
    const child = spawn(file, args, {
      cwd: this.o.workdir, env, stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group on POSIX so a kill reaches every descendant.
      detached, windowsHide: true, windowsVerbatimArguments: verbatim,
    });
    this.child = child;
    // Its own group on POSIX (detached): the tracker makes sure the group ends if the worker dies.
    if (child.pid !== undefined && this.platform !== 'win32') this.o.groups?.started(child.pid);
    child.stdin!.on('error', () => undefined); // the child may exit without reading its stdin
    child.stdin!.end(stdin ?? undefined);
    // Raw bytes: the command runner decodes them (or, for a master that wants bytes, never does).
    child.stdout!.on('data', (b: Buffer) => this.onOutput('stdout', b));
    child.stderr!.on('data', (b: Buffer) => this.onOutput('stderr', b));
    child.on('error', (e) => {
      // The program could not be started (not found, not executable, bad cwd).
      this.o.sendUpdate([['stderr', `error starting ${JSON.stringify(this.argv[0] ?? file)}: ${e.message}\n`]]);
      this.ended(1, null);
    });
    child.on('close', (code, signal) => {
      this.ended(code, signal);
    });

    if (this.o.timeout) this.armIoTimer();
    if (this.o.maxTime) {
      this.maxTimer = setTimeout(() => {
        this.maxTimer = null;
        this.kill(`command timed out: ${this.o.maxTime} seconds elapsed running ${this.display}`);
      }, this.o.maxTime * 1000);
    }
    for (const w of this.watchers) w.start();
  }

  private armIoTimer(): void {
    if (this.ioTimer) clearTimeout(this.ioTimer);
    if (!this.o.timeout || this.killed) return;
    this.ioTimer = setTimeout(() => {
      this.ioTimer = null;
      this.kill(`command timed out: ${this.o.timeout} seconds without output running ${this.display}`);
    }, this.o.timeout * 1000);
  }

  private onOutput(key: 'stdout' | 'stderr' | 'log', output: string | Buffer, logName?: string): void {
    if (output.length) {
      if (key === 'log') this.o.sendUpdate([['log', [logName!, output]]]);
      else if (key === 'stdout' ? this.o.sendStdout !== false : this.o.sendStderr !== false) this.o.sendUpdate([[key, output]]);
    }
    if (!this.paused) this.armIoTimer();
    const flow = this.o.flow;
    if (flow?.congested && !this.paused && this.child && key !== 'log') {
      // The master is behind: stop reading the child's pipes (it blocks on write) until it catches up.
      // The no-output timer waits too, since the silence is ours, not the command's.
      this.paused = true;
      this.child.stdout!.pause(); this.child.stderr!.pause();
      if (this.ioTimer) { clearTimeout(this.ioTimer); this.ioTimer = null; }
      flow.whenDrained().then(() => {
        this.paused = false;
        this.child?.stdout?.resume(); this.child?.stderr?.resume();
        this.armIoTimer();
      });
    }
  }

  private ended(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.finish) return;
    const elapsed = (performance.now() - this.startTime) / 1000;
    this.o.log?.info(`command finished with signal ${signal}, exit code ${code}, elapsedTime: ${elapsed.toFixed(6)}`);
    for (const w of this.watchers) w.stop();
    this.watchers = [];
    let rc = code ?? -1;
    if (signal) rc = -1;
    if (this.killed && rc === 0) rc = this.platform === 'win32' ? 1 : -1;
    const pid = this.child?.pid;
    // After a kill, nothing of the tree may outlive the command, even what ignored the first signal.
    if (this.killed && pid !== undefined && this.platform !== 'win32' && treeAlive(pid)) signalTree(pid, 'KILL', this.platform);
    if (pid !== undefined && this.platform !== 'win32') this.o.groups?.ended(pid);
    if (this.o.sendRC !== false) {
      if (signal) this.header(`process killed by signal ${signalNumber(signal)}\n`);
      this.o.sendUpdate([['rc', rc]]);
    }
    this.header(`elapsedTime=${elapsed.toFixed(6)}\n`);
    const finish = this.finish;
    this.cleanup();
    finish(rc);
  }

  private clearTimers(): void {
    for (const t of [this.ioTimer, this.maxTimer]) if (t) clearTimeout(t);
    this.ioTimer = this.maxTimer = null;
  }

  private cleanup(): void {
    this.clearTimers();
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.backupTimer) clearTimeout(this.backupTimer);
    this.killTimer = this.backupTimer = null;
    for (const w of this.watchers) w.stop();
    this.watchers = [];
    this.finish = null;
    this.fail = null;
  }
}

/** Buildbot reports the signal's number ("process killed by signal 9"). */
function signalNumber(signal: NodeJS.Signals): number | string {
  return (osConstants.signals as Record<string, number>)[signal] ?? signal;
}
