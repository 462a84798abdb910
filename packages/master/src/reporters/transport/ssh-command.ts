/**
 * Runs one command on a remote host with the system `ssh` client: the Gerrit reporter's vote
 * (`gerrit review --label Verified=+1 --message … CHANGE,PATCHSET`), as Buildbot's GerritStatusPush
 * does it. The system client brings what users already set up for it (keys, agent, ProxyJump in
 * ~/.ssh/config) and its host-key checks.
 *
 * - Never prompts (`BatchMode=yes`): a reporter has no terminal; a missing key is an error at once.
 * - Host keys are checked (`StrictHostKeyChecking=yes` by default, against `knownHostsFile` when
 *   given); `accept-new` trusts a host seen for the first time and still refuses a changed key.
 * - The remote side joins its arguments with spaces and splits them again (a POSIX shell, or
 *   Gerrit's own splitter, which follows the same single-quote rules), so every argument is
 *   single-quoted here: spaces, quotes, `$`, and newlines in a message arrive as one argument.
 * - A timeout on the whole run and a cap on the output kept.
 * A remote command that exits non-zero is an error (REFUSED, permanent, its stderr in the
 * message); exit status 255 is ssh's own failure and is read from ssh's stderr.
 */
import { spawn } from 'node:child_process';
import { TransportError, TransportErrorCodes as C, shortDetail, type TransportErrorCode } from './errors.js';

export interface SshCommandOptions {
  host: string;
  /** @default 22 */
  port?: number;
  /** The remote user. @default ssh's choice (~/.ssh/config, else the local user name) */
  user?: string;
  /** The private key to log in with; only it is offered (IdentitiesOnly). @default ssh's own keys and agent */
  identityFile?: string;
  /** The known_hosts file holding the server's host key. @default ssh's (~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts) */
  knownHostsFile?: string;
  /**
   * `yes`: only a host key already in known_hosts is accepted. `accept-new`: a host never seen
   * before is trusted and recorded (trust on first use); a changed key is still refused.
   * @default 'yes'
   */
  hostKeyChecking?: 'yes' | 'accept-new';
  /** Limit on connecting (ssh's ConnectTimeout, rounded up to seconds), ms. @default 30000 */
  connectTimeoutMs?: number;
  /** Limit on the whole run; ssh is stopped after it, ms. @default 120000 */
  timeoutMs?: number;
  /** Largest stdout (and stderr) kept, bytes; more is dropped. @default 1048576 (1 MiB) */
  maxOutputBytes?: number;
  /** An ssh config file to read instead of ~/.ssh/config (`-F`). @default none: ssh's usual files */
  sshConfigFile?: string;
  /** The ssh program. @default 'ssh' */
  sshCommand?: string;
  /** Stops the run (a master shutting down). */
  signal?: AbortSignal;
}

export interface SshCommandResult {
  stdout: string;
  stderr: string;
  /** stdout or stderr was longer than maxOutputBytes and was cut. */
  truncated: boolean;
}

export const SSH_DEFAULTS = { port: 22, hostKeyChecking: 'yes', connectTimeoutMs: 30_000, timeoutMs: 120_000, maxOutputBytes: 1024 * 1024, sshCommand: 'ssh' } as const;

/** `argv` as one command line for a POSIX shell (or Gerrit's splitter): each argument single-quoted. */
export function quoteForRemoteShell(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The ssh arguments for one run: options, then `--`, the host, and the quoted remote command. */
export function sshArgs(o: SshCommandOptions, argv: readonly string[]): string[] {
  const args = ['-T', '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${o.hostKeyChecking ?? SSH_DEFAULTS.hostKeyChecking}`,
    '-o', `ConnectTimeout=${Math.max(1, Math.ceil((o.connectTimeoutMs ?? SSH_DEFAULTS.connectTimeoutMs) / 1000))}`,
    // ERROR keeps ssh's notes ("Permanently added … to the list of known hosts") out of stderr, which is shown to users.
    '-o', 'LogLevel=ERROR', '-p', String(o.port ?? SSH_DEFAULTS.port)];
  if (o.sshConfigFile) args.unshift('-F', o.sshConfigFile);
  if (o.knownHostsFile) args.push('-o', `UserKnownHostsFile=${o.knownHostsFile}`);
  if (o.identityFile) args.push('-i', o.identityFile, '-o', 'IdentitiesOnly=yes');
  if (o.user) args.push('-l', o.user);
  args.push('--', o.host, quoteForRemoteShell(argv));
  return args;
}

/** Runs `argv` on the remote host; resolves with its output when it exits 0. */
export async function runSshCommand(o: SshCommandOptions, argv: readonly string[]): Promise<SshCommandResult> {
  const port = o.port ?? SSH_DEFAULTS.port;
  const target = `ssh://${o.user ? `${o.user}@` : ''}${o.host}:${port}`;
  const fail = (code: TransportErrorCode, text: string, extra: { retryable?: boolean; status?: number; detail?: string; cause?: unknown } = {}) =>
    new TransportError(code, `${target}: ${text}`, { target, ...extra });
  if (!o.host || o.host.startsWith('-') || o.user?.startsWith('-')) throw fail(C.CONFIG, 'the host and user must be names, not options (they start with "-")', { retryable: false });
  if (!argv.length) throw fail(C.CONFIG, 'no remote command given', { retryable: false });

  const max = o.maxOutputBytes ?? SSH_DEFAULTS.maxOutputBytes;
  const timeoutMs = o.timeoutMs ?? SSH_DEFAULTS.timeoutMs;
  const child = spawn(o.sshCommand ?? SSH_DEFAULTS.sshCommand, sshArgs(o, argv), { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], size: { stdout: 0, stderr: 0 }, truncated: false };
  for (const name of ['stdout', 'stderr'] as const) {
    child[name].on('data', (c: Buffer) => {
      const room = max - out.size[name];
      if (room <= 0) { out.truncated = true; return; }
      if (c.length > room) out.truncated = true;
      out[name].push(c.subarray(0, room));
      out.size[name] += Math.min(c.length, room);
    });
  }
  let stoppedBy: 'timeout' | 'abort' | undefined;
  const stop = (why: 'timeout' | 'abort') => {
    stoppedBy = why;
    child.kill('SIGTERM');
    setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 5000).unref();
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = () => stop('abort');
  o.signal?.addEventListener('abort', onAbort, { once: true });

  let status: number | null;
  try {
    status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw fail(C.CONFIG, `the ssh program (${o.sshCommand ?? 'ssh'}) was not found: install the OpenSSH client (Debian: openssh-client) or set sshCommand`, { retryable: false, cause: e });
    throw fail(C.NETWORK, `ssh could not be started (${err.message}); it will be retried`, { cause: e });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  const stdout = Buffer.concat(out.stdout).toString('utf8');
  const stderr = Buffer.concat(out.stderr).toString('utf8');
  if (stoppedBy === 'timeout') throw fail(C.TIMEOUT, `the remote command did not finish within ${timeoutMs} ms and was stopped; it will be retried`, { detail: shortDetail(stderr) });
  if (stoppedBy === 'abort') throw fail(C.TIMEOUT, 'stopped before the remote command finished (the master is stopping); it will be retried', { detail: shortDetail(stderr) });
  if (status === 0) return { stdout, stderr, truncated: out.truncated };
  if (status === 255) throw sshFailure(stderr, o, fail);
  const said = shortDetail(stderr || stdout);
  throw fail(C.REFUSED, `the remote command ${shortDetail(argv[0]!, 40)} failed with exit status ${status}${said ? ` (${said})` : ''}; it will not be retried`,
    { retryable: false, ...(status !== null ? { status } : {}), detail: said });
}

type Fail = (code: TransportErrorCode, text: string, extra?: { retryable?: boolean; status?: number; detail?: string }) => TransportError;

/** ssh's own failure (exit 255), named from what it printed. */
function sshFailure(stderr: string, o: SshCommandOptions, fail: Fail): TransportError {
  const said = shortDetail(stderr);
  const ctx = { status: 255, detail: said };
  const hostPort = `[${o.host}]:${o.port ?? SSH_DEFAULTS.port}`;
  const kh = o.knownHostsFile ?? '~/.ssh/known_hosts';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return fail(C.HOST_KEY, `the host key of ${hostPort} differs from the one recorded in ${kh}: the connection may be intercepted, or the server was reinstalled; check the new key's fingerprint with the server's admin before replacing the line (${said})`, { ...ctx, retryable: false });
  }
  if (/Host key verification failed|host key is known for|No \S+ host key is known/i.test(stderr)) {
    return fail(C.HOST_KEY, `the host key of ${hostPort} is not in ${kh}: add it after checking its fingerprint (ssh-keyscan -p ${o.port ?? SSH_DEFAULTS.port} ${o.host} >> ${kh}), or set hostKeyChecking: 'accept-new' to trust the server on first use`, { ...ctx, retryable: false });
  }
  const perm = /Permission denied \(([^)]*)\)/.exec(stderr);
  if (perm) {
    return fail(C.AUTH, `the server refused the login${o.user ? ` of ${o.user}` : ''}${o.identityFile ? ` with the key ${o.identityFile}` : ''} (Permission denied (${perm[1]})): add the key's public half to that account (Gerrit: Settings > SSH Keys), or set identityFile and user to the ones registered there`, { ...ctx, retryable: false });
  }
  if (/UNPROTECTED PRIVATE KEY FILE|bad permissions/i.test(stderr)) {
    return fail(C.CONFIG, `ssh refuses the key ${o.identityFile ?? ''} because others can read it: chmod 600 it (${said})`, { ...ctx, retryable: false });
  }
  if (/Identity file .* not accessible|Load key .*: (No such file|invalid format|error in libcrypto)/i.test(stderr)) {
    return fail(C.CONFIG, `the key ${o.identityFile ?? ''} cannot be used: check that identityFile names a readable private key (${said})`, { ...ctx, retryable: false });
  }
  if (/Connection refused/i.test(stderr)) return fail(C.NETWORK, `connection refused: nothing listens on ${hostPort}; check host and port and that the SSH server runs; it will be retried`, ctx);
  if (/timed out|Connection timeout/i.test(stderr)) return fail(C.TIMEOUT, `no connection to ${hostPort} in time (${said}); it will be retried`, ctx);
  if (/Could not resolve hostname/i.test(stderr)) return fail(C.NETWORK, `the host name ${o.host} does not resolve: check host (or the DNS); it will be retried`, ctx);
  return fail(C.NETWORK, `ssh failed (exit status 255${said ? `: ${said}` : ''}); it will be retried`, ctx);
}
