/**
 * A Docker image of the compiled mastro-worker for the latent.docker tests and the bench, made
 * without pulling anything (images cannot be pulled here): a root holding this machine's `node`, a
 * shell and the few programs builds use, each with the shared libraries `ldd` names, and the worker
 * with its runtime packages; `docker import` makes it an image whose command is
 * `mastro-worker start /worker --foreground`, so a container starts from Buildbot's latent-worker
 * environment (BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS) alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './master-harness.js';

/** null when a Docker engine answers; else why the Docker tests cannot run (printed as their skip reason). */
export function dockerUnavailable(): string | null {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `the docker command is not installed (${r.error.message}); .ci/run installs Debian's docker.io`;
  if (r.status !== 0) return `no Docker engine answers \`docker info\` (${(r.stderr || r.stdout).trim().split('\n')[0]}); .ci/run starts dockerd`;
  return null;
}

const PROGRAMS = ['dash', 'sleep', 'touch', 'true', 'cat', 'ls', 'rm', 'mkdir', 'env'];

/** The shared libraries a binary loads, from ldd. */
function libraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    return m ? [m[1]!] : [];
  });
}

/** The executable file of a program on PATH (not a shell builtin of that name). */
function programPath(name: string): string {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = join(dir, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${name} is not installed (the worker image needs it)`);
}

function copyInto(root: string, path: string, as = path): void {
  mkdirSync(join(root, dirname(as)), { recursive: true });
  cpSync(realpathSync(path), join(root, as));
}

/** A package of the monorepo's node_modules (its files, not the workspace symlink) into /app/node_modules. */
function copyPackage(root: string, name: string, parts: string[]): void {
  const from = realpathSync(join(ROOT, 'node_modules', name));
  for (const part of parts) cpSync(join(from, part), join(root, 'app', 'node_modules', name, part), { recursive: true, dereference: true });
}

/**
 * Builds `tag` (about 10 s). Give each run a tag of its own (`workerImageTag`) and remove it at the
 * end (`removeImage`): runs on one engine at once then never replace each other's image.
 */
export function buildWorkerImage(tag: string): void {
  const root = mkdtempSync(join(tmpdir(), 'mastro-worker-image-'));
  try {
    const binaries = [process.execPath, ...PROGRAMS.map(programPath)];
    for (const b of binaries) for (const lib of libraries(b)) copyInto(root, lib);
    copyInto(root, process.execPath, '/usr/bin/node');
    for (const p of PROGRAMS) copyInto(root, programPath(p), `/usr/bin/${p}`);
    copyInto(root, '/usr/bin/dash', '/bin/sh');
    copyPackage(root, 'mastro-worker', ['package.json', 'dist']);
    copyPackage(root, 'mastro-protocol', ['package.json', 'dist']);
    copyPackage(root, 'ws', ['.']);
    copyPackage(root, 'msgpackr', ['.']);
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
    const tar = join(root, '..', `${root.split('/').pop()}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    try {
      execFileSync('docker', [
        'import', '--change', 'ENV PATH=/usr/bin:/bin', '--change', 'WORKDIR /',
        '--change', 'CMD ["/usr/bin/node", "/app/node_modules/mastro-worker/dist/cli.js", "start", "/worker", "--foreground"]',
        tar, tag,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
    } finally {
      rmSync(tar, { force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A tag no other run uses: `<repository>:<random>`. */
export function workerImageTag(repository: string): string {
  return `${repository}:${randomBytes(4).toString('hex')}`;
}

/** Removes an image this run built (none left is fine). */
export function removeImage(tag: string): void {
  spawnSync('docker', ['image', 'rm', '-f', tag], { stdio: 'ignore' });
}

/** Ids of the containers (running or not) having every label `key=value` given. */
export function containersWithLabels(labels: Record<string, string>): string[] {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  return execFileSync('docker', ['ps', '-aq', '--no-trunc', ...filters], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Removes containers by id (test cleanup; none left is fine). */
export function removeContainers(ids: string[]): void {
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
}
