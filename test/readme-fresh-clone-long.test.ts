/**
 * The README's commands, as written there, from a fresh clone of this repository: the Install
 * section's lines (`npm install` builds everything through npm's prepare step), then `npx mastro
 * create-master`, `checkconfig`, `start`, `npx mastro-worker create-worker`, `start`, a build, and
 * both `stop`s. Each command is taken from README.md's `sh` blocks by its first words, so a README
 * that changes them changes what runs; only its example places are swapped for this machine's:
 * /srv/ci and /var/lib/worker for temp dirs, ci.example.org:9989 for the worker port picked here, the
 * clone URL for this checkout (the commit it is at: uncommitted changes are not in the clone).
 * The `$EDITOR` line is this test's edit: free ports, and the worker `w0`/`pass` the README's worker
 * lines name. The build is forced over the API by a user made with the README's `user add` line.
 *
 * Long (an install compiles the SQLite driver): it runs in the second runner (scripts/run-tests.mjs).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, freePort, waitUntil } from './support/master-harness.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Every line of the README's ```sh blocks, comments dropped. */
const shLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter(Boolean);

/** The README's line starting with `prefix` (the first one). */
function readmeLine(prefix: string): string {
  const line = shLines.find((l) => l === prefix || l.startsWith(`${prefix} `));
  assert.ok(line, `README.md has no \`${prefix} ...\` line in a sh block`);
  return line;
}

/** The `sh` block right after the heading `## title`. */
function sectionBlock(title: string): string[] {
  const m = new RegExp(`^## ${title}\\n[\\s\\S]*?\`\`\`sh\\n([\\s\\S]*?)\`\`\``, 'm').exec(readme);
  assert.ok(m, `README.md has no sh block in its "${title}" section`);
  return m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

describe('the README\'s commands from a fresh clone', { timeout: 35 * 60_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'mastro-readme-'));
  const clone = join(tmp, 'mastro');
  const masterDir = join(tmp, 'srv-ci');
  const workerDir = join(tmp, 'worker');
  let workerPort: number;
  let httpPort: number;
  const ran: string[] = [];

  /** Runs a README line in the clone with its example places swapped; returns its output. */
  function run(line: string, input?: string): string {
    const command = line
      .replaceAll('/srv/ci', masterDir)
      .replaceAll('/var/lib/worker', workerDir)
      .replaceAll('ci.example.org:9989', `127.0.0.1:${workerPort}`);
    ran.push(command);
    const r = spawnSync('sh', ['-c', command], { cwd: clone, encoding: 'utf8', input, timeout: 20 * 60_000, env: { ...process.env, npm_config_yes: 'false' } });
    assert.equal(r.status, 0, `\`${command}\` exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout + r.stderr;
  }

  before(async () => {
    workerPort = await freePort();
    httpPort = await freePort();
  });

  after(() => {
    // Whatever is still running (a failed assertion midway) is stopped with the README's own commands.
    for (const c of [`npx mastro-worker stop ${workerDir}`, `npx mastro stop ${masterDir}`]) spawnSync('sh', ['-c', c], { cwd: clone, stdio: 'ignore', timeout: 120_000 });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('installs with the Install section\'s lines, and npx finds both commands', () => {
    const install = sectionBlock('Install');
    assert.match(install[0]!, /^git clone \S+ && cd mastro$/, 'the section starts with the clone');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    for (const line of install.slice(1)) run(line);
    assert.match(run('npx mastro --version'), /^mastro \d+\.\d+\.\d+/);
    assert.match(run('npx mastro-worker --version'), /^\d+\.\d+\.\d+/);
  });

  it('creates, checks and starts a master, attaches a worker, runs a build and stops both', async () => {
    run(readmeLine('npx mastro create-master'));
    // The README's `$EDITOR` step: the sample with free ports and the worker the README's lines name.
    assert.ok(readmeLine('$EDITOR').includes('/srv/ci/master.config.ts'));
    const configFile = join(masterDir, 'master.config.ts');
    const sample = readFileSync(configFile, 'utf8');
    const edited = sample
      .replace(/port: 9989/, `port: ${workerPort}`)
      .replace(/port: 8010/, `port: ${httpPort}`)
      .replace(/worker\("worker1", "[^"]+"/, 'worker("w0", "pass"')
      .replace(/workerNames: \["worker1"\]/, 'workerNames: ["w0"]');
    assert.notEqual(edited, sample);
    assert.match(edited, /worker\("w0", "pass"/);
    writeFileSync(configFile, edited);

    assert.match(run(readmeLine('npx mastro checkconfig')), /is good/);
    assert.match(run(readmeLine('npx mastro start')), /master running \(pid \d+\)/);
    // The README's user line; --password-stdin is how it says a script gives the password.
    const userLine = readmeLine('npx mastro user add');
    run(`${userLine} --password-stdin`, 'readme-secret\n');
    assert.match(run(readmeLine('npx mastro-worker create-worker')), /worker created/);
    assert.match(run(readmeLine('npx mastro-worker start')), /connected to the master/);

    const api = `http://127.0.0.1:${httpPort}/api/v2`;
    const user = /npx mastro user add \/srv\/ci (\S+)/.exec(userLine)![1]!;
    const auth = { authorization: `Basic ${Buffer.from(`${user}:readme-secret`).toString('base64')}`, 'content-type': 'application/json' };
    const builder = (await (await fetch(`${api}/builders`)).json()).builders[0];
    const force = await fetch(`${api}/forceschedulers/force`, { method: 'POST', headers: auth, body: JSON.stringify({ jsonrpc: '2.0', method: 'force', id: 1, params: { builderid: builder.builderid } }) });
    assert.equal(force.status, 200, await force.clone().text());
    const build = await waitUntil(async () => {
      const b = (await (await fetch(`${api}/builds?complete=true`)).json()).builds[0];
      return b ?? null;
    }, 'the forced build to finish', 120_000);
    assert.equal(build.results, 0, `the build succeeded: ${JSON.stringify(build)}`);

    assert.match(run(readmeLine('npx mastro-worker stop')), /worker stopped/);
    assert.match(run(readmeLine('npx mastro stop')), /master stopped/);
    assert.ok(ran.length >= 10, ran.join('\n'));
  });
});
