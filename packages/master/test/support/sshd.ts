/**
 * A real OpenSSH server (Debian's `sshd`) on a loopback port of its own, for the SSH transport and
 * the Gerrit reporter's tests: its own host key, config and authorized_keys in a temp dir, and one
 * authorized client key whose line forces a command (`command="…"`). That command records what the
 * client asked for, `$SSH_ORIGINAL_COMMAND` as sent and the arguments a POSIX shell splits it into
 * (Gerrit splits by the same quoting rules), prints a chosen answer and exits with a chosen status:
 * so a test sees `gerrit review --label Verified=+1 --message … 12,3` exactly as Gerrit would.
 *
 * sshd must run as root to serve logins (privilege separation); CI runs as root. `sshdUnavailable()`
 * says why a test has to skip elsewhere.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { startDaemon, stopDaemon } from './daemon.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../../test/support/master-harness.js';

const SSHD = '/usr/sbin/sshd';

/** Why this machine cannot run the test server (a skip reason), or false when it can. */
export function sshdUnavailable(): string | false {
  if (!existsSync(SSHD)) return 'no /usr/sbin/sshd (apt-get install openssh-server)';
  try { execFileSync('ssh', ['-V'], { stdio: 'ignore' }); } catch { return 'no ssh client (apt-get install openssh-client)'; }
  if (process.getuid?.() !== 0) return 'sshd serves logins only when started as root (CI runs as root)';
  return false;
}

export interface RecordedCommand {
  /** `$SSH_ORIGINAL_COMMAND`: the command line as the client sent it. */
  raw: string;
  /** The arguments a POSIX shell reads from it. */
  argv: string[];
}

export interface SshdReply {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  /** Never finish (a hung server); the harness ends such commands on close(). */
  hang?: boolean;
}

export class TestSshd {
  private child: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** The account to log in as (the one sshd runs as). */
    readonly user: string,
    /** A private key the server accepts (with the forced command). */
    readonly clientKey: string,
    /** A private key the server does not know. */
    readonly strangerKey: string,
    /** A known_hosts file holding this server's host key. */
    readonly knownHostsFile: string,
  ) {}

  static async start(): Promise<TestSshd> {
    const dir = mkdtempSync(join(tmpdir(), 'mastro-sshd-'));
    const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', file, '-f', join(dir, file)], { stdio: 'ignore' });
    keygen('host_key'); keygen('client_key'); keygen('stranger_key');
    mkdirSync(join(dir, 'rec'));
    const script = join(dir, 'forced-command.sh');
    // Written to a temp name and renamed, so a reader never sees half a record.
    writeFileSync(script, `#!/bin/sh
d=${dir}
n=$(date +%s%N)-$$
printf '%s' "$SSH_ORIGINAL_COMMAND" > "$d/rec/.$n.raw"
: > "$d/rec/.$n.argv"
eval "set -- $SSH_ORIGINAL_COMMAND" && for a in "$@"; do printf '%s\\0' "$a"; done > "$d/rec/.$n.argv"
mv "$d/rec/.$n.argv" "$d/rec/$n.argv"; mv "$d/rec/.$n.raw" "$d/rec/$n.raw"
if [ -f "$d/reply.hang" ]; then sleep 3600 & echo $! >> "$d/hung.pids"; wait; fi
[ -f "$d/reply.stdout" ] && cat "$d/reply.stdout"
[ -f "$d/reply.stderr" ] && cat "$d/reply.stderr" >&2
exit $(cat "$d/reply.exit" 2>/dev/null || echo 0)
`);
    chmodSync(script, 0o755);
    const pub = readFileSync(join(dir, 'client_key.pub'), 'utf8').trim();
    writeFileSync(join(dir, 'authorized_keys'), `command="${script}",no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty ${pub}\n`);
    const port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, `PidFile ${join(dir, 'sshd.pid')}`,
      // The temp dir lives under the world-writable /tmp, which StrictModes would refuse.
      'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes', 'PermitRootLogin prohibit-password', 'LogLevel INFO', '',
    ].join('\n'));
    const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const knownHostsFile = join(dir, 'known_hosts');
    writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPub}\n`);
    const s = new TestSshd(dir, port, userInfo().username, join(dir, 'client_key'), join(dir, 'stranger_key'), knownHostsFile);
    await s.startAgain();
    return s;
  }

  /** The server's known_hosts line (for a test that writes its own file). */
  get knownHostsLine(): string { return readFileSync(this.knownHostsFile, 'utf8').trim(); }

  /** Starts sshd (again) and resolves once it listens. */
  async startAgain(): Promise<void> {
    // Privilege separation needs this empty root-owned directory; Debian's service unit makes it at boot.
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    this.child = await startDaemon({ name: 'sshd', command: SSHD, args: ['-D', '-e', '-f', join(this.dir, 'sshd_config')], ready: /Server listening on/ });
  }

  /** Stops sshd (open sessions end with it). */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    await stopDaemon(c);
  }

  /** What the forced command prints and the status it exits with, from now on. */
  setReply(r: SshdReply): void {
    for (const [name, v] of [['reply.exit', r.exitCode], ['reply.stdout', r.stdout], ['reply.stderr', r.stderr], ['reply.hang', r.hang ? 'yes' : undefined]] as const) {
      const f = join(this.dir, name);
      if (v === undefined) rmSync(f, { force: true }); else writeFileSync(f, String(v));
    }
  }

  /** Every command run so far, in the order they ran. */
  commands(): RecordedCommand[] {
    const rec = join(this.dir, 'rec');
    // Records being written are dot files until their last rename: a watcher fires on those too.
    const names = readdirSync(rec).filter((n) => n.endsWith('.raw') && !n.startsWith('.')).map((n) => n.slice(0, -4))
      .sort((a, b) => { const [ta, pa] = a.split('-').map(BigInt); const [tb, pb] = b.split('-').map(BigInt); return ta! < tb! ? -1 : ta! > tb! ? 1 : pa! < pb! ? -1 : 1; });
    return names.map((n) => ({
      raw: readFileSync(join(rec, `${n}.raw`), 'utf8'),
      argv: readFileSync(join(rec, `${n}.argv`), 'utf8').split('\0').slice(0, -1),
    }));
  }

  /** Resolves once `n` commands have run (watching the record directory, no polling). */
  waitForCommands(n: number): Promise<RecordedCommand[]> {
    const rec = join(this.dir, 'rec');
    return new Promise((resolve) => {
      const check = () => { const c = this.commands(); if (c.length >= n) { watcher.close(); resolve(c.slice(0, n)); } };
      const watcher = watch(rec, check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.stop();
    // The sleeps of hung commands (setReply({ hang: true })), started by this harness's script.
    const pids = join(this.dir, 'hung.pids');
    if (existsSync(pids)) for (const p of readFileSync(pids, 'utf8').split('\n').filter(Boolean)) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
