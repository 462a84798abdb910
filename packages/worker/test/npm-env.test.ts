import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { removeNpmVariables } from '../src/process/npm-env.js';
import { startFakeMaster } from './support/fake-master.js';
import { tempDir } from './support/helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** What `npm exec` gave a program in this repository (npm 11), abridged. */
function npmEnvironment(userPath: string): NodeJS.ProcessEnv {
  return {
    HOME: '/home/ci', MY_SETTING: 'kept', EDITOR: 'vi', COLOR: '0', INIT_CWD: '/work/repo', NODE: '/usr/bin/node',
    npm_command: 'exec', npm_config_cache: '/home/ci/.npm', npm_config_user_agent: 'npm/11.6.0 node/v20.19.2 linux x64',
    npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js', npm_lifecycle_event: 'npx', npm_lifecycle_script: 'mastro-worker',
    npm_node_execpath: '/usr/bin/node', npm_package_json: '/work/repo/package.json', npm_package_name: 'mastro-monorepo',
    PATH: ['/work/repo/node_modules/.bin', '/work/node_modules/.bin', '/node_modules/.bin',
      '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin', userPath].join(':'),
  };
}

test("a worker started through npm removes npm's variables and PATH entries, and keeps the user's", () => {
  const env = npmEnvironment('/usr/local/bin:/usr/bin:/bin');
  const cleanup = removeNpmVariables(env, 'linux');
  assert.deepEqual(env, { HOME: '/home/ci', MY_SETTING: 'kept', PATH: '/usr/local/bin:/usr/bin:/bin' });
  assert.deepEqual(cleanup.removed, ['COLOR', 'EDITOR', 'INIT_CWD', 'NODE', 'npm_command', 'npm_config_cache', 'npm_config_user_agent',
    'npm_execpath', 'npm_lifecycle_event', 'npm_lifecycle_script', 'npm_node_execpath', 'npm_package_json', 'npm_package_name']);
  assert.equal(cleanup.pathEntriesRemoved, 4);
});

test('npm run inside npm exec: PATH goes back to what the outer npm was given', () => {
  const outer = npmEnvironment('/usr/bin:/bin').PATH!;
  const env = { ...npmEnvironment(''), PATH: `/w/node_modules/.bin:/x/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin:${outer}` };
  removeNpmVariables(env, 'linux');
  assert.equal(env.PATH, '/usr/bin:/bin');
});

test("an EDITOR or NODE the user set differently from npm's defaults is kept", () => {
  const env = { ...npmEnvironment('/usr/bin'), EDITOR: 'emacs', NODE: '/opt/node18/bin/node' };
  removeNpmVariables(env, 'linux');
  assert.equal(env.EDITOR, 'emacs');
  assert.equal(env.NODE, '/opt/node18/bin/node');
});

test('a worker npm did not start keeps npm_config_* variables its owner set for the builds', () => {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin', npm_config_registry: 'http://mirror.local/', EDITOR: 'vi', NODE: '/usr/bin/node' };
  const cleanup = removeNpmVariables(env, 'linux');
  assert.deepEqual(env, { PATH: '/usr/bin', npm_config_registry: 'http://mirror.local/', EDITOR: 'vi', NODE: '/usr/bin/node' });
  assert.deepEqual(cleanup, { removed: [], pathEntriesRemoved: 0 });
});

test("on Windows npm's Path entries are removed with the ';' separator", () => {
  const env: NodeJS.ProcessEnv = {
    npm_execpath: 'C:\\npm\\npm-cli.js', EDITOR: 'C:\\Windows\\notepad.exe', SYSTEMROOT: 'C:\\Windows',
    Path: 'C:\\repo\\node_modules\\.bin;C:\\npm\\node_modules\\@npmcli\\run-script\\lib\\node-gyp-bin;C:\\Windows\\system32',
  };
  removeNpmVariables(env, 'win32');
  assert.deepEqual(env, { SYSTEMROOT: 'C:\\Windows', Path: 'C:\\Windows\\system32' });
});

test("a worker started with npm exec gives its builds no npm variables, in the environment or the log header", async (t) => {
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  t.after(() => master.close());
  const dir = path.join(tempDir(t), 'w');
  await promisify(execFile)(process.execPath, [CLI, 'create-worker', dir, `127.0.0.1:${master.port}`, 'w1', 'pw']);
  // A known environment for npm, so the build's can be compared with it exactly.
  const userPath = `${path.dirname(process.execPath)}:/usr/bin:/bin`;
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  const child = spawn(npm, ['exec', '--no', '--', 'node', CLI, 'start', dir, '--foreground'], {
    cwd: REPO, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: userPath, HOME: process.env.HOME ?? '/root', MY_SETTING: 'kept' },
  });
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const conn = master.connections[0] ?? await master.nextConnection();
  await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
  await conn.request('start_command', { command_id: 'env', command_name: 'shell', args: { command: ['env'], workdir: dir } });
  assert.equal(await master.completion('env'), null);
  const text = (key: string) => (master.updates.get('env') ?? []).filter(([k]) => k === key).map(([, v]) => (v as [string])[0]).join('');
  const header = text('header');
  const env = new Map(text('stdout').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(env.get('MY_SETTING'), 'kept');
  assert.equal(env.get('PATH'), userPath, 'PATH is the one npm was given');
  for (const name of env.keys()) assert.doesNotMatch(name, /^(npm_.*|INIT_CWD|NODE|COLOR|EDITOR)$/i, `${name} reached the build`);
  assert.match(header, /^ {2}MY_SETTING=kept$/m);
  assert.doesNotMatch(header, /^ {2}(npm_\w+|INIT_CWD|NODE|COLOR|EDITOR)=/im);
  assert.doesNotMatch(header, /node_modules[\\/]\.bin/);
  const info = (await conn.request('get_worker_info')) as { environ: Record<string, string> };
  assert.deepEqual(Object.keys(info.environ).filter((k) => /^npm_|^INIT_CWD$/i.test(k)), [], 'nor does the worker info sent to the master');
});
