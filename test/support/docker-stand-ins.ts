/**
 * Local stand-ins for the public base images contrib/docker names (`node:N-bookworm-slim`,
 * `postgres:15-bookworm`): images cannot be pulled here, so each is made with `docker import` from
 * a root holding this machine's own programs (Debian bookworm, like those images) and the shared
 * libraries `ldd` names, and tagged with the public name. An image of that name that is already
 * there is used as it is (the real one, or a stand-in of an earlier run, labelled
 * org.mastro.stand-in). The Node stand-in has node, npm and a shell with the tools a Dockerfile's RUN
 * and a build step use, and the `node` user (uid 1000) of the official image; the PostgreSQL one has
 * Debian's PostgreSQL 15 server and an entrypoint that, as the official image's does, creates
 * POSTGRES_USER with POSTGRES_PASSWORD and POSTGRES_DB in an empty data directory, then runs the server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** null when a Docker engine answers; else why the Docker tests cannot run (printed as their skip reason). */
export { dockerUnavailable } from './docker-image.js';

export function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

function which(name: string): string {
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const p = join(dir, name);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  throw new Error(`${name} is not installed (a stand-in image needs it)`);
}

function libraries(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) return []; // not dynamic (a script, a static binary)
  return r.stdout.split('\n').flatMap((line) => {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    return m ? [m[1]!] : [];
  });
}

class Root {
  readonly dir = mkdtempSync(join(tmpdir(), 'mastro-stand-in-'));

  /** Copies a file (symlinks followed) to `as`, with the libraries it loads. */
  file(path: string, as = path): void {
    mkdirSync(join(this.dir, dirname(as)), { recursive: true });
    cpSync(realpathSync(path), join(this.dir, as));
    for (const lib of libraries(path)) {
      if (!existsSync(join(this.dir, lib))) this.file(lib);
    }
  }

  tree(path: string, as = path): void {
    mkdirSync(join(this.dir, dirname(as)), { recursive: true });
    cpSync(path, join(this.dir, as), { recursive: true, dereference: true });
  }

  /** Every shared object under `dir` of the root gets its libraries too. */
  librariesOf(dir: string): void {
    for (const name of readdirSync(join(this.dir, dir), { recursive: true }) as string[]) {
      if (name.endsWith('.so')) for (const lib of libraries(join('/', dir, name))) if (!existsSync(join(this.dir, lib))) this.file(lib);
    }
  }

  write(path: string, text: string, mode = 0o644): void {
    mkdirSync(join(this.dir, dirname(path)), { recursive: true });
    writeFileSync(join(this.dir, path), text);
    chmodSync(join(this.dir, path), mode);
  }

  mkdir(path: string, mode: number, owner = 0): void {
    mkdirSync(join(this.dir, path), { recursive: true });
    chmodSync(join(this.dir, path), mode);
    chownSync(join(this.dir, path), owner, owner);
  }

  /** `docker import` of the root as `tag`, with Dockerfile-style `changes`. */
  importAs(tag: string, changes: string[]): void {
    const tar = `${this.dir}.tar`;
    try {
      execFileSync('tar', ['--numeric-owner', '-C', this.dir, '-cf', tar, '.']);
      execFileSync('docker', ['import', ...changes.flatMap((c) => ['--change', c]), '--change', 'LABEL org.mastro.stand-in=1', tar, tag], { stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      rmSync(tar, { force: true });
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

const SHELL_TOOLS = ['ln', 'mkdir', 'chown', 'chmod', 'rm', 'cp', 'mv', 'cat', 'ls', 'env', 'hostname', 'sleep', 'true', 'false', 'id', 'uname', 'sed', 'grep', 'tar', 'gzip'];

function baseSystem(root: Root, users: string, groups: string): void {
  root.file(which('dash'), '/bin/sh');
  root.file(which('dash'), '/bin/dash');
  for (const t of SHELL_TOOLS) root.file(which(t), `/usr/bin/${t}`);
  root.write('/etc/passwd', users);
  root.write('/etc/group', groups);
  root.write('/etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n');
  root.mkdir('/tmp', 0o1777);
}

/** `node:MAJOR-bookworm-slim` from this machine's `node` (`nodeBinary`, the one running the tests by default) and npm. */
export function ensureNodeImage(nodeBinary = process.execPath): string {
  const major = execFileSync(nodeBinary, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim();
  const tag = `node:${major}-bookworm-slim`;
  if (imageExists(tag)) return tag;
  const root = new Root();
  baseSystem(root, 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n', 'root:x:0:\nnode:x:1000:\n');
  root.file(nodeBinary, '/usr/local/bin/node');
  root.tree(dirname(realpathSync(which('npm'))).replace(/\/bin$/, ''), '/usr/local/lib/node_modules/npm');
  // npm as the official image has it: a link to its CLI.
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root.dir, 'usr/local/bin/npm'));
  for (const d of ['/root', '/home/node']) root.mkdir(d, 0o755, d === '/home/node' ? 1000 : 0);
  root.importAs(tag, [
    'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION=' + major,
    'CMD ["node"]',
  ]);
  return tag;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PG_ENTRYPOINT = `#!/bin/sh
# Stand-in for the official image's docker-entrypoint.sh: an empty data directory is initialised
# with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, then the server runs in the foreground.
set -e
export PATH=${PG_BIN}:$PATH
PGDATA=\${PGDATA:-/var/lib/postgresql/data}
user=\${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\\n' "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}" > /tmp/pwfile
  initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 --locale=C -E UTF8 >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ -n "\${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \\"$POSTGRES_DB\\" OWNER \\"$user\\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
`;

/** `postgres:15-bookworm` from Debian's PostgreSQL 15 (apt-get install postgresql). */
export function ensurePostgresImage(): string {
  const tag = 'postgres:15-bookworm';
  if (imageExists(tag)) return tag;
  if (!existsSync(join(PG_BIN, 'postgres'))) throw new Error(`${PG_BIN}/postgres is missing: apt-get install postgresql (.ci/run installs it)`);
  const root = new Root();
  baseSystem(root, 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\n', 'root:x:0:\npostgres:x:999:\n');
  for (const b of ['postgres', 'initdb', 'pg_ctl', 'pg_isready', 'psql']) root.file(join(PG_BIN, b));
  root.tree('/usr/lib/postgresql/15/lib');
  root.librariesOf('usr/lib/postgresql/15/lib');
  root.tree('/usr/share/postgresql/15');
  root.tree('/usr/share/zoneinfo');
  root.mkdir('/var/lib/postgresql', 0o755, 999);
  root.mkdir('/var/lib/postgresql/data', 0o700, 999);
  root.mkdir('/var/run/postgresql', 0o2775, 999);
  root.write('/usr/local/bin/docker-entrypoint.sh', PG_ENTRYPOINT, 0o755);
  root.importAs(tag, [
    `ENV PATH=${PG_BIN}:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data TZ=UTC`,
    'USER postgres',
    'EXPOSE 5432',
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
  ]);
  return tag;
}
