/**
 * `www.auth`, `www.authz` and `www.changeHookAuth` are checked by the config pipeline: mistakes are
 * reported with their paths by checkConfig, by `mastro checkconfig` and when loading a config for a
 * reconfig (which is then refused), in the TypeScript and the YAML form alike.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { checkConfig } from '../src/config/normalise.js';
import { formatIssue } from '../src/model/config-errors.js';
import { tryLoadConfig } from '../src/config/load.js';
import { run as checkconfig } from '../src/cli/checkconfig.js';
import { configSource } from '../../../test/support/config.js';
import type { WwwOptions } from '../src/config/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-config-www-auth-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function masterDir(files: Record<string, string>): string {
  const dir = join(tmp, `m${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const issues = (www: unknown, dir = tmp) => checkConfig({ www }, { masterDir: dir }).issues.map(formatIssue);
const warnings = (www: unknown) => checkConfig({ www }, { masterDir: tmp }).warnings.map((w) => w.path);

test('www.authz mistakes are reported with the path of each rule and action', () => {
  assert.deepEqual(issues({ authz: { anonymousView: 'no', rules: [{ actions: ['force', 'fly'], roles: ['dev'] }, { actions: '*' }, 'admin', { actions: ['view'], roles: ['x'], builder: ['a'] }] } }), [
    'www.authz.anonymousView: must be true or false, got the string "no"',
    'www.authz.rules[0].actions[1]: unknown action "fly"; actions are: view, force, stop, rebuild, cancel, admin',
    'www.authz.rules[1].roles: is required',
    'www.authz.rules[2]: must be { actions, roles, builders?, branches? }, got the string "admin"',
    "www.authz.rules[3].builder: unknown option; did you mean 'builders'?",
  ]);
  assert.deepEqual(issues({ authz: { rules: { actions: '*', roles: ['admin'] } } }), ['www.authz.rules: must be a list of { actions, roles, builders?, branches? }, got an object']);
});

test('www.auth mistakes are reported with their paths, including OAuth providers', () => {
  assert.deepEqual(issues({ auth: { users: [{ username: 'alice' }, { username: '', roles: ['a'] }], loginBurst: 0, sesionTtlSec: 5, publicUrl: 'ci.example.org', github: { clientId: 'id' } } }), [
    "www.auth.sesionTtlSec: unknown option; did you mean 'sessionTtlSec'?",
    'www.auth.users[0].roles: is required',
    "www.auth.users[1].username: must be a non-empty string (a local user name, or 'github:<login>' / 'gitlab:<username>'), got the string \"\"",
    'www.auth.loginBurst: must be at least 1, got 0',
    'www.auth.publicUrl: must be an http(s) URL, got the string "ci.example.org"',
    "www.auth.github.clientSecret: is required (the OAuth application's client secret)",
  ]);
  assert.deepEqual(issues({ auth: { gitlab: { clientId: 'id', clientSecret: 's', groupRoles: { 'g/sub': 'admin' } } } }), [
    'www.auth.gitlab.groupRoles.g/sub: must be a list of strings, got the string "admin"',
  ]);
});

test('www.auth.github|gitlab.maxGroupPages must be a whole number of at least 1', () => {
  assert.deepEqual(issues({ auth: { github: { clientId: 'id', clientSecret: 's', maxGroupPages: 0 }, gitlab: { clientId: 'id', clientSecret: 's', maxGroupPages: 2.5 } } }), [
    'www.auth.github.maxGroupPages: must be at least 1, got 0',
    'www.auth.gitlab.maxGroupPages: must be a whole number, got 2.5',
  ]);
  assert.deepEqual(issues({ auth: { github: { clientId: 'id', clientSecret: 's', maxGroupPages: 50 } } }), []);
});

test('a correct www.auth and www.authz pass and reach the normalised config unchanged', () => {
  const www = {
    auth: { users: [{ username: 'github:ada', roles: ['admin'] }], basic: false, github: { clientId: 'id', clientSecret: 's', groupRoles: { acme: ['dev'] } } },
    authz: { anonymousView: false, rules: [{ actions: '*', roles: ['admin'] }, { actions: ['force'], roles: ['dev'], builders: ['test-*'] }] },
  };
  const r = checkConfig({ www }, { masterDir: tmp });
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.config!.www!.auth, www.auth);
  assert.deepEqual(r.config!.www!.authz, www.authz);
});

test('www.changeHookAuth entries are checked: forms, empty credentials, and password files that do not exist', () => {
  const dir = masterDir({ 'changehook.passwd': 'hook:pw\n' });
  assert.deepEqual(issues({ changeHookAuth: [{ username: 'hook', password: 'pw' }, 'file:changehook.passwd', { file: 'changehook.passwd' }, { usersStore: true }, { usersStore: { roles: ['ci'] } }] }, dir), []);
  assert.deepEqual(issues({ changeHookAuth: ['hook:pw', 'file:missing.passwd', { username: 'hook' }, { usersStore: 'yes' }, 3] }, dir), [
    "www.changeHookAuth[0]: a string entry must be 'file:PATH' (Buildbot's password file), got \"hook:pw\"",
    `www.changeHookAuth[1]: the password file ${join(dir, 'missing.passwd')} does not exist; create it with one "user:password" line per account`,
    'www.changeHookAuth[2].password: is required (the password clients send)',
    'www.changeHookAuth[3].usersStore: must be true or { roles: [...] }, got the string "yes"',
    "www.changeHookAuth[4]: must be { username, password }, 'file:PATH', { file: PATH } or { usersStore: true | { roles: [...] } }, got number 3",
  ]);
  assert.match(issues({ changeHookAuth: [] })[0]!, /^www\.changeHookAuth: is an empty list, which would refuse every hook request/);
  assert.match(issues({ changeHookAuth: true })[0]!, /^www\.changeHookAuth: must be a list of/);
});

test('open change hooks on all interfaces give a warning, not an error; loopback, accounts or false silence it', () => {
  assert.deepEqual(warnings({ changeHooks: { base: {} } }), ['www.changeHookAuth']);
  assert.deepEqual(warnings({ host: '127.0.0.1', changeHooks: { base: {} } }), []);
  assert.deepEqual(warnings({ changeHooks: { base: {} }, changeHookAuth: [{ username: 'u', password: 'p' }] }), []);
  assert.deepEqual(warnings({ changeHooks: { base: {} }, changeHookAuth: false }), []);
  assert.deepEqual(warnings({ port: 8010 }), [], 'no hooks enabled, nothing to warn about');
});

test('a TypeScript config with a broken authz is refused by the loader (so a reconfig keeps the running config)', async () => {
  const dir = masterDir({ 'master.config.ts': configSource({}, (m) => m.defineConfig({ www: { port: 0, authz: { rules: [{ actions: ['deploy' as any], roles: ['ops'] }] } } })) });
  const r = await tryLoadConfig(dir);
  assert.equal(r.config, null);
  assert.deepEqual(r.issues.map(formatIssue), ['www.authz.rules[0].actions[0]: unknown action "deploy"; actions are: view, force, stop, rebuild, cancel, admin']);
});

test('the YAML form takes auth, authz and changeHookAuth and equals the TypeScript form; schema errors carry paths', async () => {
  const yaml = `www:
  port: 0
  changeHooks: { base: {} }
  changeHookAuth: [{ username: hook, password: pw }, { usersStore: { roles: [ci] } }]
  auth: { users: [{ username: alice, roles: [admin] }], loginBurst: 3 }
  authz: { anonymousView: false, rules: [{ actions: '*', roles: [admin] }, { actions: [force], roles: [ci], branches: ['release/*'] }] }
`;
  const www = {
    port: 0, changeHooks: { base: {} }, changeHookAuth: [{ username: 'hook', password: 'pw' }, { usersStore: { roles: ['ci'] } }],
    auth: { users: [{ username: 'alice', roles: ['admin'] }], loginBurst: 3 },
    authz: { anonymousView: false, rules: [{ actions: '*', roles: ['admin'] }, { actions: ['force'], roles: ['ci'], branches: ['release/*'] }] },
  };
  const fromYaml = await tryLoadConfig(masterDir({ 'master.config.yaml': yaml }));
  const fromTs = await tryLoadConfig(masterDir({ 'master.config.ts': configSource({ www }, (m, v) => m.defineConfig({ www: v.www as WwwOptions })) }));
  assert.deepEqual(fromYaml.issues, []);
  assert.deepEqual(fromYaml.config!.www, fromTs.config!.www);

  const bad = await tryLoadConfig(masterDir({ 'master.config.yaml': "www:\n  authz: { rules: [{ actions: [fly], roles: [x] }] }\n  changeHookAuth: [{ username: hook }]\n  auth: { loginBurst: 0 }\n" }));
  assert.equal(bad.config, null);
  const paths = bad.issues.map((i) => i.path);
  for (const p of ['www.authz.rules[0].actions[0]', 'www.auth.loginBurst']) assert.ok(paths.includes(p), `${p} in ${JSON.stringify(bad.issues)}`);
  assert.ok(paths.some((p) => p.startsWith('www.changeHookAuth[0]')), JSON.stringify(bad.issues));
});

test('mastro checkconfig prints www mistakes with paths (exit 1) and warns about open change hooks (exit 0)', async () => {
  const runCli = async (dir: string) => {
    let out = ''; let err = '';
    const stdout = new PassThrough(); stdout.on('data', (d) => { out += d; });
    const stderr = new PassThrough(); stderr.on('data', (d) => { err += d; });
    const code = await checkconfig([dir], { stdout, stderr, stdin: new PassThrough() });
    return { code, out, err };
  };
  const broken = await runCli(masterDir({ 'master.config.ts': "export default { www: { port: 0, auth: { github: { clientId: 'x' } } } };\n" }));
  assert.equal(broken.code, 1);
  assert.match(broken.err, /www\.auth\.github\.clientSecret: is required/);
  const open = await runCli(masterDir({ 'master.config.ts': "export default { www: { port: 0, changeHooks: { base: {} } } };\n" }));
  assert.equal(open.code, 0, open.err);
  assert.match(open.err, /^warning: www\.changeHookAuth: change hooks \(base\) are unauthenticated and www listens on 0\.0\.0\.0/);
  assert.match(open.out, /is good/);
});
