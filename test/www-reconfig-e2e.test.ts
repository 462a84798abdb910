/**
 * A reconfig of a real master applies www's security settings without restarting its HTTP
 * listener (same port, sessions kept): `www.changeHookAuth` (literal accounts and password files),
 * `www.auth.users` roles with `www.authz` rules; users added to users.json work without any
 * reconfig; a changed setting that needs a restart (www.bodyLimit) is logged as such.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { configSource } from './support/config.js';
import type { WwwOptions } from '../packages/master/src/index.js';
import { basicAuth, rpcStatus, webLogin, whoAmI } from './support/web-client.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';

type Www = NonNullable<WwwOptions>;
interface WwwParts {
  changeHookAuth: Www['changeHookAuth'];
  users?: NonNullable<Www['auth']>['users'];
  rules?: NonNullable<Www['authz']>['rules'];
  bodyLimit?: number;
}

const config = (parts: WwwParts) => configSource({ w: parts }, (m, v) => {
  const w = v.w;
  return m.defineConfig({
    title: 'www reconfig',
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0 } },
    www: {
      port: 0, host: '127.0.0.1', bodyLimit: w.bodyLimit ?? 1048576, changeHooks: { base: {} },
      changeHookAuth: w.changeHookAuth,
      auth: { users: w.users ?? [] },
      authz: { rules: w.rules ?? [{ actions: '*', roles: ['admin'] }, { actions: ['view'], roles: ['authenticated'] }] },
    },
    workers: [m.worker('w0', 'pass')],
    schedulers: [m.schedulers.force({ name: 'force', builderNames: ['b'] })],
    builders: [m.builder({ name: 'b', workerNames: ['w0'], steps: [m.steps.shell({ command: ['true'] })] })],
  });
});

describe('www settings follow a reconfig of a running master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let base: string;
  let builderid: number;
  const reconfig = async (w: WwwParts) => {
    env.writeConfig(config(w));
    const r = await master.call('reconfig');
    assert.equal(r.ok, true, JSON.stringify(r.issues));
  };
  /** POSTs one change to the base hook with the given Basic credentials; answers the status. */
  const hook = async (user: string, password: string) => {
    const r = await fetch(`${base}/change_hook/base`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basicAuth(user, password) },
      body: new URLSearchParams({ author: 'dev', comments: 'c', repository: 'r', project: 'p', branch: 'main', revision: 'abc' }).toString(),
    });
    await r.arrayBuffer();
    return r.status;
  };
  const force = (user: string, password: string) => rpcStatus(base, 'forceschedulers/force', 'force', { builderid }, basicAuth(user, password));

  before(async () => {
    env = new TestEnv();
    const store = new UsersStore(env.masterDir);
    await store.add('admin', 'admin-password', ['admin']);
    await store.add('bob', 'bob-password', []);
    writeFileSync(join(env.masterDir, 'a.passwd'), 'filehook:first-secret\n');
    writeFileSync(join(env.masterDir, 'b.passwd'), '# rotated\nfilehook:second-secret\n');
    env.writeConfig(config({ changeHookAuth: [{ username: 'hook', password: 'old-secret' }] }));
    master = await env.startMaster();
    base = `http://127.0.0.1:${master.ready.httpPort}`;
    [{ builderid }] = await master.get(['builders', 'b']);
  });

  after(() => env.cleanup());

  it('a changed changeHookAuth account: the old credentials are refused and the new ones accepted', async () => {
    assert.equal(await hook('hook', 'old-secret'), 200);
    assert.equal(await hook('hook', 'new-secret'), 401);
    await reconfig({ changeHookAuth: [{ username: 'hook', password: 'new-secret' }] });
    assert.equal(await hook('hook', 'old-secret'), 401);
    assert.equal(await hook('hook', 'new-secret'), 200);
  });

  it('changeHookAuth switched to another password file: only the accounts of the new file pass', async () => {
    await reconfig({ changeHookAuth: ['file:a.passwd'] });
    assert.equal(await hook('filehook', 'first-secret'), 200);
    assert.equal(await hook('hook', 'new-secret'), 401, 'the literal account of the previous config is gone');
    await reconfig({ changeHookAuth: ['file:b.passwd'] });
    assert.equal(await hook('filehook', 'first-secret'), 401);
    assert.equal(await hook('filehook', 'second-secret'), 200);
  });

  it('roles from www.auth.users and authz rules change with a reconfig, for Basic requests and for an open browser session', async () => {
    const hookAuth = ['file:b.passwd'];
    const session = await webLogin(base, 'bob', 'bob-password');
    const forceWithSession = () => rpcStatus(base, 'forceschedulers/force', 'force', { builderid }, { cookie: session.cookie, 'x-csrf-token': session.csrfToken });
    assert.equal(await force('bob', 'bob-password'), 403);
    assert.equal(await forceWithSession(), 403);

    const devRules: WwwParts['rules'] = [{ actions: '*', roles: ['admin'] }, { actions: ['view'], roles: ['authenticated'] }, { actions: ['force'], roles: ['developer'] }];
    await reconfig({ changeHookAuth: hookAuth, users: [{ username: 'bob', roles: ['developer'] }], rules: devRules });
    assert.equal(await force('bob', 'bob-password'), 200, 'bob got the developer role and developers may force');
    assert.equal(await forceWithSession(), 200, 'the open session has the new role without a new login');

    // The same role without the rule: refused again; a rule for a role bob's session already has
    // (authenticated) applies to the open session without a new login.
    await reconfig({ changeHookAuth: hookAuth, users: [{ username: 'bob', roles: ['developer'] }] });
    assert.equal(await force('bob', 'bob-password'), 403);
    await reconfig({ changeHookAuth: hookAuth, rules: [{ actions: '*', roles: ['admin'] }, { actions: ['view', 'force'], roles: ['authenticated'] }] });
    assert.equal(await forceWithSession(), 200);
    assert.equal(await whoAmI(base, session.cookie), 'bob', 'the session survived every reconfig');
  });

  it('a user added to users.json while the master runs can log in without a reconfig; removing the user ends their open session', async () => {
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: basicAuth('carol', 'carol-password') })).status, 401);
    const store = new UsersStore(env.masterDir);
    await store.add('carol', 'carol-password', []);
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: basicAuth('carol', 'carol-password') })).status, 200);
    const session = await webLogin(base, 'carol', 'carol-password');
    assert.equal(await whoAmI(base, session.cookie), 'carol');
    await store.remove('carol');
    assert.equal(await whoAmI(base, session.cookie), null);
  });

  it('a changed www.bodyLimit is logged as needing a restart; the listener keeps its port', async () => {
    await reconfig({ changeHookAuth: ['file:b.passwd'], bodyLimit: 2048 });
    await waitUntil(() => /www\.bodyLimit changed; it takes effect when the master restarts/.test(master.output), 'the restart warning in the master log');
    assert.equal(await hook('filehook', 'second-secret'), 200, 'the same listener still answers');
  });
});
