/**
 * A PostgreSQL server of a test's own (Debian's binaries, a fresh cluster in a temp dir, an
 * ephemeral port), for tests that stop and start the server: the shared MASTRO_TEST_PG_URL server
 * must stay up for everyone else. Run as root (as CI does): the server runs as the `postgres`
 * user, like `.ci/run` starts the shared one. `unavailable()` says why a test has to skip.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './master-harness.js';

/** The newest installed server's bin directory, or null. */
function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(a) - Number(b));
  return versions.length ? join(root, versions[versions.length - 1]!, 'bin') : null;
}

/** Why this machine cannot run a private server (a skip reason), or false when it can. */
export function pgServerUnavailable(): string | false {
  if (!pgBin()) return 'no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)';
  if (process.getuid?.() !== 0) return 'starting a private PostgreSQL server needs root (to run it as the postgres user)';
  try { execFileSync('id', ['postgres'], { stdio: 'ignore' }); } catch { return 'there is no postgres system user (apt-get install postgresql)'; }
  return false;
}

function asPostgres(cmd: string): void {
  execFileSync('su', ['postgres', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class PgServer {
  private constructor(readonly dir: string, readonly port: number, private readonly bin: string) {}

  /** initdb + start; the server listens on 127.0.0.1:port with trust auth for `postgres`. */
  static async start(): Promise<PgServer> {
    const bin = pgBin();
    if (!bin) throw new Error('no PostgreSQL server binaries');
    const dir = mkdtempSync(join(tmpdir(), 'mastro-pg-'));
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
    const s = new PgServer(dir, await freePort(), bin);
    asPostgres(`${bin}/initdb -D ${dir}/data -A trust -U postgres >/dev/null`);
    s.startAgain();
    return s;
  }

  get url(): string { return `postgresql://postgres@127.0.0.1:${this.port}/postgres`; }

  /** Starts the (stopped) server again on the same port and waits until it accepts connections. */
  startAgain(): void {
    asPostgres(`${this.bin}/pg_ctl -D ${this.dir}/data -o '-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1' -l ${this.dir}/log -w -t 120 start >/dev/null`);
  }

  /** Stops the server: `immediate` is a crash (connections cut, no checkpoint), `fast` a clean shutdown. */
  stop(mode: 'immediate' | 'fast' = 'immediate'): void {
    asPostgres(`${this.bin}/pg_ctl -D ${this.dir}/data -m ${mode} -w -t 120 stop >/dev/null`);
  }

  /** Stops the server if it runs and removes its files. */
  destroy(): void {
    try { this.stop('immediate'); } catch { /* not running */ }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
