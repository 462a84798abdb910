/**
 * Each package as npm would publish it, packed in a clone of this checkout (its commit; the packing
 * builds there, apart from the dist/ other tests use): `npm pack` (whose `prepack` builds it) makes a tarball with
 * its LICENSE and the package.json fields a registry shows (license, repository, exports); the three
 * tarballs install into an empty directory (from npm's cache where it has the dependencies, the
 * registry otherwise), and the installed CLIs run there: `mastro create-master`, `checkconfig`,
 * `start`, `mastro-worker create-worker`, `start`, `stop`. The installed `mastro` is also what a
 * config imports (`import ... from 'mastro'` through the package's `exports`).
 *
 * Long (the install compiles the SQLite driver): it runs in the second runner (scripts/run-tests.mjs).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort } from './support/master-harness.js';

const PACKAGES = [
  { dir: 'packages/protocol', name: 'mastro-protocol', bin: null },
  { dir: 'packages/worker', name: 'mastro-worker', bin: 'mastro-worker' },
  { dir: 'packages/master', name: 'mastro', bin: 'mastro' },
] as const;

describe('the packed packages', { timeout: 30 * 60_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mastro-pack-'));
  const tarballs = new Map<string, string>();
  const app = join(tmp, 'app');

  /** Runs a command; its standard output (`all`: with its standard error after it). */
  function sh(cmd: string, args: string[], cwd: string, o: { all?: boolean } = { all: true }): string {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 20 * 60_000 });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    return o.all ? r.stdout + r.stderr : r.stdout;
  }

  after(() => {
    for (const [bin, dir] of [['mastro-worker', join(tmp, 'worker')], ['mastro', join(tmp, 'ci')]]) {
      spawnSync(join(app, 'node_modules', '.bin', bin!), ['stop', dir!], { stdio: 'ignore', timeout: 120_000 });
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('npm pack builds each package into a tarball with its LICENSE, license, repository and exports', () => {
    const clone = join(tmp, 'clone');
    sh('git', ['clone', '--quiet', ROOT, clone], tmp);
    // Only what packing needs (the compilers); no install scripts, so no native build and no prepare.
    sh('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], clone);
    for (const p of PACKAGES) {
      const out = sh('npm', ['pack', '--json', '--pack-destination', tmp], join(clone, p.dir), { all: false });
      // The prepack's own output comes first; npm's JSON report is last.
      const [info] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const files = info!.files.map((f) => f.path);
      assert.ok(files.includes('LICENSE'), `${p.name}: LICENSE is packed`);
      assert.ok(files.includes('dist/index.js'), `${p.name}: the build is packed (prepack)`);
      const manifest = JSON.parse(readFileSync(join(clone, p.dir, 'package.json'), 'utf8'));
      assert.equal(manifest.license, 'MIT', p.name);
      assert.equal(manifest.repository?.directory, p.dir, p.name);
      assert.equal(manifest.exports?.['.']?.default, './dist/index.js', p.name);
      assert.match(manifest.scripts?.prepack ?? '', /tsc -b/, p.name);
      tarballs.set(p.name, join(tmp, info!.filename));
    }
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
  });

  it('the tarballs install into an empty directory and their CLIs run a master and a worker there', async () => {
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...PACKAGES.map((p) => tarballs.get(p.name)!)], app);
    const bin = (name: string) => join(app, 'node_modules', '.bin', name);
    for (const p of PACKAGES) if (p.bin) assert.ok(existsSync(bin(p.bin)), `${p.bin} is linked`);
    assert.match(sh(bin('mastro'), ['--version'], app), /^mastro 0\.\d+\.\d+/);
    assert.match(sh(bin('mastro-worker'), ['--version'], app), /^0\.\d+\.\d+/);
    // The installed package as a library: its exports resolve from the app.
    sh(process.execPath, ['--input-type=module', '-e', "import { defineConfig } from 'mastro'; import { PROTOCOL_NAME } from 'mastro-protocol'; if (typeof defineConfig !== 'function' || PROTOCOL_NAME !== 'msgpack_experimental_v7') process.exit(1);"], app);

    const ci = join(tmp, 'ci');
    sh(bin('mastro'), ['create-master', ci], app);
    const configFile = join(ci, 'master.config.ts');
    {
      const workerPort = await freePort();
      const httpPort = await freePort();
      writeFileSync(configFile, readFileSync(configFile, 'utf8')
        .replace(/port: 9989/, `port: ${workerPort}`).replace(/port: 8010/, `port: ${httpPort}`)
        .replace(/worker\("worker1", "[^"]+"/, 'worker("w0", "pass"').replace(/workerNames: \["worker1"\]/, 'workerNames: ["w0"]'));
      assert.match(sh(bin('mastro'), ['checkconfig', ci], app), /is good/);
      assert.match(sh(bin('mastro'), ['start', ci], app), /master running/);
      const ready = await (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).json();
      assert.equal(ready.ready, true, JSON.stringify(ready));
      const worker = join(tmp, 'worker');
      sh(bin('mastro-worker'), ['create-worker', worker, `127.0.0.1:${workerPort}`, 'w0', 'pass'], app);
      assert.match(sh(bin('mastro-worker'), ['start', worker], app), /connected to the master/);
      assert.match(sh(bin('mastro-worker'), ['stop', worker], app), /worker stopped/);
      assert.match(sh(bin('mastro'), ['stop', ci], app), /master stopped/);
    }
  });
});
