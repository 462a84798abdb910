/**
 * Authorization matrix on a real master: every REST endpoint and every control action, tried as
 * anonymous, a plain user (no roles), a developer (force/stop/rebuild/cancel on builder `quick`
 * only) and an admin. Nothing is reachable that the rules do not allow; browser requests from
 * another origin or with a non-JSON body are refused even with a valid session.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { TestEnv, WORKER_CLI, waitUntil, type MasterProcess } from './support/master-harness.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';
import { ROUTES } from '../packages/master/src/www/api/schemas.js';
import { configSource } from './support/config.js';

const CONFIG = configSource({}, (m) => m.defineConfig({
  title: 'authz',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1', authz: { anonymousView: false, rules: [
    { actions: '*', roles: ['admin'] },
    { actions: ['view'], roles: ['authenticated'] },
    { actions: ['force', 'stop', 'rebuild', 'cancel'], roles: ['developer'], builders: ['quick'] },
  ] } },
  workers: [m.worker('w0', 'pass'), m.worker('w9', 'pass')],
  schedulers: [m.schedulers.force({ name: 'force', builderNames: ['quick', 'other'] })],
  builders: [
    m.builder({ name: 'quick', workerNames: ['w0'], steps: [m.steps.makeDirectory({ dir: 'build' }), m.steps.shell({ name: 'hi', command: ['echo', 'hi'] })] }),
    m.builder({ name: 'other', workerNames: ['w9'], steps: [m.steps.shell({ command: ['true'] })] }),
  ],
}));

type Who = 'anonymous' | 'plain' | 'developer' | 'admin';
const WHO: Who[] = ['anonymous', 'plain', 'developer', 'admin'];

describe('authorization matrix on a real master', () => {
  let env: TestEnv; let master: MasterProcess; let base: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  const auth = (who: Who): Record<string, string> => (who === 'anonymous' ? {} : { authorization: `Bearer ${tokens[who]}` });
  const get = async (path: string, who: Who = 'admin') => {
    const r = await fetch(`${base}/api/v2/${path}`, { headers: auth(who) });
    return { status: r.status, body: await r.json().catch(() => null) as any };
  };
  const rpc = async (path: string, method: string, params: Record<string, unknown>, who: Who) => {
    const r = await fetch(`${base}/api/v2/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(who) }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }) });
    return { status: r.status, body: await r.json() as any };
  };
  let quickBuild: any; let otherBrid = 0; let quickBrid = 0;

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    const store = new UsersStore(env.masterDir);
    for (const [name, roles] of [['plain', []], ['developer', ['developer']], ['admin', ['admin']]] as const) {
      await store.add(name, `${name}-password`, [...roles]);
      tokens[name] = (await store.createToken(name)).token;
    }
    env.writeConfig(CONFIG);
    master = await env.startMaster();
    base = `http://127.0.0.1:${master.ready.httpPort}`;
    env.startWorker('w0', master.ready.workerPort);
    for (const b of (await get('builders')).body.builders) ids[b.name] = b.builderid;
    const [, brids] = (await rpc('forceschedulers/force', 'force', { builderid: ids.quick }, 'admin')).body.result;
    quickBuild = await waitUntil(async () => (await get(`buildrequests/${brids[ids.quick]}/builds`)).body.builds.find((b: any) => b.complete), 'first build');
    otherBrid = (await rpc('forceschedulers/force', 'force', { builderid: ids.other }, 'admin')).body.result[1][ids.other];
    quickBrid = brids[ids.quick];
  });
  after(async () => { await env.cleanup(); });

  it('every REST endpoint: anonymous 401, everyone logged in may view', async () => {
    const step = (await get(`builds/${quickBuild.buildid}/steps`)).body.steps[1];
    const log = (await get(`steps/${step.stepid}/logs`)).body.logs[0];
    const masterid = (await get('masters')).body.masters[0].masterid;
    const workerid = (await get('workers/w0')).body.workers[0].workerid;
    const bsid = (await get(`buildrequests/${quickBrid}`)).body.buildrequests[0].buildsetid;
    const ssid = (await get(`buildsets/${bsid}`)).body.buildsets[0].sourcestamps[0].ssid;
    const schedulerid = (await get('schedulers')).body.schedulers[0].schedulerid;
    const values: Record<string, string | number> = {
      masterid, builderid: ids.quick!, builderid_or_name: 'quick', number: quickBuild.number, buildid: quickBuild.buildid,
      number_or_name: step.number, slug: log.slug, buildrequestid: quickBrid, bsid, changeid: 0, ssid, stepid: step.stepid,
      logid: log.logid, workerid_or_name: 'w0', workerid, schedulerid, name: 'force',
    };
    let checked = 0;
    for (const r of ROUTES) {
      // No change, change source, reporter or held lock exists in this master: their collections are checked, their entities can't be.
      if (/\{(changeid|changesource_name|lockid|reporter_name)\}/.test(r.path)) continue;
      const path = r.path.slice(1).replace(/\{(\w+)\}/g, (_m, k) => String(values[k]));
      for (const who of WHO) {
        const res = await fetch(`${base}/api/v2/${path}`, { headers: auth(who) });
        await res.arrayBuffer();
        assert.equal(res.status, who === 'anonymous' ? 401 : 200, `GET ${path} as ${who}`);
        checked++;
      }
    }
    assert.ok(checked >= 4 * 40, `checked ${checked}`);
    // The OpenAPI description holds no state and is public.
    assert.equal((await fetch(`${base}/api/v2/openapi.json`)).status, 200);
    // /ws consuming follows the same rule (see www-ws tests); the auth endpoint answers everyone.
    assert.equal((await fetch(`${base}/auth/user`)).status, 200);
  });

  it('every control action: only the roles the rules name get past authorization', async () => {
    const workerid = (await get('workers/w9')).body.workers[0].workerid;
    const masterid = (await get('masters')).body.masters[0].masterid;
    // [path, method, params, who may do it]; 'developer' only on builder quick.
    const actions: Array<[string, string, Record<string, unknown>, Who[]]> = [
      ['forceschedulers/force', 'force', { builderid: ids.quick }, ['developer', 'admin']],
      ['forceschedulers/force', 'force', { builderid: ids.other }, ['admin']],
      ['forceschedulers/force', 'force', {}, ['admin']], // all its builders, 'other' included
      [`builds/${quickBuild.buildid}`, 'rebuild', {}, ['developer', 'admin']],
      [`builds/${quickBuild.buildid}`, 'stop', {}, ['developer', 'admin']],
      [`builders/${ids.quick}/builds/${quickBuild.number}`, 'stop', {}, ['developer', 'admin']],
      [`buildrequests/${otherBrid}`, 'set_priority', { priority: 2 }, ['admin']],
      [`buildrequests/${otherBrid}`, 'cancel', {}, ['admin']],
      [`workers/${workerid}`, 'pause', {}, ['admin']],
      [`workers/${workerid}`, 'unpause', {}, ['admin']],
      ['workers/w9', 'stop', {}, ['admin']],
      ['workers/w9', 'kill', {}, ['admin']],
      [`masters/${masterid}`, 'reconfig', {}, ['admin']],
    ];
    for (const [path, method, params, allowed] of actions) {
      for (const who of WHO) {
        const r = await rpc(path, method, params, who);
        if (allowed.includes(who)) {
          assert.ok(r.status !== 401 && r.status !== 403, `${method} ${path} as ${who} should pass authorization: ${r.status} ${JSON.stringify(r.body)}`);
        } else {
          assert.equal(r.status, who === 'anonymous' ? 401 : 403, `${method} ${path} as ${who}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.error.code, -32600);
        }
      }
    }
    // A developer may cancel requests of builder quick but not of other builders.
    const [, brids] = (await rpc('forceschedulers/force', 'force', { builderid: ids.quick }, 'developer')).body.result;
    assert.equal((await rpc(`buildrequests/${brids[ids.quick]}`, 'cancel', {}, 'developer')).status, 200);
    const [, others] = (await rpc('forceschedulers/force', 'force', { builderid: ids.other }, 'admin')).body.result;
    assert.equal((await rpc(`buildrequests/${others[ids.other]}`, 'cancel', {}, 'developer')).status, 403);
  });

  it('browsers: cross-origin and non-JSON POSTs are refused even with a valid session and CSRF token', async () => {
    const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'developer', password: 'developer-password' }) });
    assert.equal(login.status, 200);
    const { csrfToken } = await login.json() as any;
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'force', params: { builderid: ids.quick }, id: 1 });
    const post = (headers: Record<string, string>, b = body) => fetch(`${base}/api/v2/forceschedulers/force`, { method: 'POST', headers: { cookie, ...headers }, body: b });
    const json = { 'content-type': 'application/json', 'x-csrf-token': csrfToken };
    assert.equal((await post(json)).status, 200);
    assert.equal((await post({ ...json, origin: 'http://evil.example' })).status, 403);
    assert.equal((await post({ ...json, 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await post({ ...json, origin: 'null' })).status, 403);
    assert.equal((await post({ 'content-type': 'text/plain', 'x-csrf-token': csrfToken })).status, 415);
    assert.equal((await post({ 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrfToken }, 'jsonrpc=2.0&method=force')).status, 415);
    assert.equal((await post({ 'content-type': 'application/json' })).status, 403, 'missing CSRF token');
    assert.equal((await post({ 'content-type': 'application/json', 'x-csrf-token': 'guess' })).status, 403, 'wrong CSRF token');
    // Same origin (what the UI sends) works.
    assert.equal((await post({ ...json, origin: base, 'sec-fetch-site': 'same-origin' })).status, 200);
    // Login itself refuses cross-origin attempts.
    const cross = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ username: 'developer', password: 'developer-password' }) });
    assert.equal(cross.status, 403);
  });

  it('admin may stop the master; others may not', async () => {
    const masterid = (await get('masters')).body.masters[0].masterid;
    for (const who of ['anonymous', 'plain', 'developer'] as const) assert.equal((await rpc(`masters/${masterid}`, 'stop', {}, who)).status, who === 'anonymous' ? 401 : 403);
    assert.equal((await rpc(`masters/${masterid}`, 'stop', {}, 'admin')).status, 200);
    await master.exited;
  });
});
