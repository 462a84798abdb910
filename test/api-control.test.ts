/**
 * Control actions through the REST JSON-RPC API of a real master process with a real worker:
 * force (typed fields, owner), stop, rebuild, cancel, set_priority, worker pause/unpause/kill/
 * graceful stop, master reconfig and graceful stop; plus a Buildbot API script run unchanged.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, WORKER_CLI, waitUntil, ROOT, type MasterProcess } from './support/master-harness.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';
import { configSource } from './support/config.js';

const CONFIG = configSource({}, (m) => {
  const mk = () => m.steps.makeDirectory({ dir: 'build' });
  return m.defineConfig({
    title: 'api',
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0 } },
    www: { port: 0, host: '127.0.0.1', authz: { anonymousView: true } },
    workers: [m.worker('w0', 'pass', { maxBuilds: 2 }), m.worker('w9', 'pass')],
    schedulers: [
      m.schedulers.force({ name: 'force', builderNames: ['quick', 'slow'], parameters: [m.schedulers.params.int({ name: 'count', default: 1 })] }),
      m.schedulers.force({ name: 'force-nobody', builderNames: ['nobody'] }),
    ],
    builders: [
      m.builder({ name: 'quick', workerNames: ['w0'], collapseRequests: false, steps: [mk(), m.steps.shell({ name: 'hello', command: ['sh', '-c', m.util.Interpolate('echo hello %(prop:count)s')] })] }),
      m.builder({ name: 'slow', workerNames: ['w0'], collapseRequests: false, steps: [mk(), m.steps.shell({ name: 'sleep', command: ['sleep', '60'] })] }),
      m.builder({ name: 'nobody', workerNames: ['w9'], collapseRequests: false, steps: [m.steps.shell({ command: ['true'] })] }),
    ],
  });
});

describe('control actions over JSON-RPC on a real master', () => {
  let env: TestEnv; let master: MasterProcess; let base: string;
  const admin = { authorization: `Basic ${Buffer.from('root:root-password').toString('base64')}` };
  const ids: Record<string, number> = {};

  const get = async (path: string) => {
    const r = await fetch(`${base}/api/v2/${path}`);
    assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
    return r.json() as Promise<any>;
  };
  const rpc = async (path: string, method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = admin) => {
    const r = await fetch(`${base}/api/v2/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 7 }) });
    return { status: r.status, body: await r.json() as any };
  };
  const build = async (brid: number, pred: (b: any) => boolean, what: string) =>
    waitUntil(async () => (await get(`buildrequests/${brid}/builds`)).builds.find(pred), what);

  before(async () => {
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    await new UsersStore(env.masterDir).add('root', 'root-password', ['admin']);
    env.writeConfig(CONFIG);
    master = await env.startMaster();
    base = `http://127.0.0.1:${master.ready.httpPort}`;
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(async () => (await get('workers/w0')).workers[0].connected_to.length > 0, 'w0 connected');
    for (const b of (await get('builders')).builders) ids[b.name] = b.builderid;
  });
  after(async () => { await env.cleanup(); });

  it('lists force schedulers in Buildbot shape, also per builder', async () => {
    const all = (await get('forceschedulers')).forceschedulers;
    assert.deepEqual(all.map((s: any) => s.name), ['force', 'force-nobody']);
    const f = all[0];
    assert.deepEqual(f.builder_names, ['quick', 'slow']);
    assert.equal(f.button_name, 'force');
    assert.deepEqual(f.all_fields.map((x: any) => x.name), ['username', 'reason', 'branch', 'revision', 'repository', 'project', 'count']);
    const forQuick = await get(`builders/${ids.quick}/forceschedulers`);
    assert.deepEqual(forQuick.forceschedulers.map((s: any) => s.name), ['force']);
    assert.equal(forQuick.meta.total, 1);
    assert.equal((await fetch(`${base}/api/v2/forceschedulers/nope`)).status, 404);
  });

  it('force runs a build on the chosen builder with typed fields and the logged-in owner', async () => {
    const r = await rpc('forceschedulers/force', 'force', { builderid: ids.quick, reason: 'because', count: '3' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.jsonrpc, '2.0');
    assert.equal(r.body.id, 7);
    const [bsid, brids] = r.body.result;
    assert.equal(typeof bsid, 'number');
    const b = await build(brids[ids.quick], (x) => x.complete, 'forced build complete');
    assert.equal(b.results, 0);
    const props = (await get(`builds/${b.buildid}?property=*`)).builds[0].properties;
    assert.deepEqual(props.owner, ['root', 'Force Build Form']);
    assert.deepEqual(props.count, [3, 'Force Build Form']);
  });

  it('invalid force fields are a JSON-RPC invalid_params error naming the field', async () => {
    const r = await rpc('forceschedulers/force', 'force', { builderid: ids.quick, count: 'many' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, -32602);
    assert.ok(r.body.error.data.count, JSON.stringify(r.body.error));
    const m = await rpc('forceschedulers/force', 'frobnicate');
    assert.equal(m.status, 501);
    assert.equal(m.body.error.code, -32601);
  });

  it('stop cancels a running build; rebuild starts a new one from the same buildset', async () => {
    const [, brids] = (await rpc('forceschedulers/force', 'force', { builderid: ids.slow })).body.result;
    const running = await build(brids[ids.slow], (x) => !x.complete && x.state_string !== 'starting', 'slow build running');
    await waitUntil(async () => (await get(`builds/${running.buildid}/steps`)).steps.some((s: any) => s.started_at !== null), 'sleep step started');
    const r = await rpc(`builds/${running.buildid}`, 'stop', { reason: 'enough' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const stopped = await waitUntil(async () => { const b = (await get(`builds/${running.buildid}`)).builds[0]; return b.complete && b; }, 'stopped build complete');
    assert.equal(stopped.results, 6);
    // Stopping it again: it is over, and like Buildbot 3.7 that is not an error (scripts race with builds ending).
    const again = await rpc(`builds/${running.buildid}`, 'stop');
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.result, null);

    const quick = (await get(`builds?builderid=${ids.quick}&complete=true&limit=1`)).builds[0];
    const rb = await rpc(`builders/${ids.quick}/builds/${quick.number}`, 'rebuild');
    assert.equal(rb.status, 200, JSON.stringify(rb.body));
    const [, rbrids] = rb.body.result;
    assert.equal((await build(rbrids[ids.quick], (x) => x.complete, 'rebuild complete')).results, 0);
  });

  it('set_priority changes a pending request and cancel completes it CANCELLED', async () => {
    const [, brids] = (await rpc('forceschedulers/force-nobody', 'force', {})).body.result;
    const brid = brids[ids.nobody];
    assert.equal((await rpc(`buildrequests/${brid}`, 'set_priority', { priority: 5 })).status, 200);
    assert.equal((await get(`buildrequests/${brid}`)).buildrequests[0].priority, 5);
    assert.equal((await rpc(`buildrequests/${brid}`, 'set_priority', { priority: 'high' })).body.error.code, -32602);
    const c = await rpc(`buildrequests/${brid}`, 'cancel', { reason: 'not needed' });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const br = (await get(`buildrequests/${brid}`)).buildrequests[0];
    assert.equal(br.complete, true);
    assert.equal(br.results, 6);
    assert.equal((await get(`buildrequests?complete=true&results=6&buildrequestid=${brid}`)).meta.total, 1);
  });

  it('a paused worker gets no new builds until unpaused', async () => {
    assert.equal((await rpc('workers/w0', 'pause', { reason: 'maintenance' })).status, 200);
    assert.equal((await get('workers/w0')).workers[0].paused, true);
    const [, brids] = (await rpc('forceschedulers/force', 'force', { builderid: ids.quick })).body.result;
    const brid = brids[ids.quick];
    // The request stays pending; the distributor says why.
    const pending = await waitUntil(async () => { const br = (await get(`buildrequests/${brid}`)).buildrequests[0]; return br.pending_reason && br; }, 'pending reason');
    assert.equal(pending.claimed, false);
    assert.equal((await get(`buildrequests/${brid}/builds`)).builds.length, 0);
    assert.equal((await rpc(`workers/${(await get('workers/w0')).workers[0].workerid}`, 'unpause')).status, 200);
    assert.equal((await build(brid, (x) => x.complete, 'build after unpause')).results, 0);
    assert.equal((await get('workers/w0')).workers[0].paused, false);
  });

  it('kill drops the worker connection (it reconnects); stop shuts the worker down gracefully', async () => {
    const connected = async () => (await get('workers/w0')).workers[0].connected_to.length > 0;
    assert.equal((await rpc('workers/w0', 'kill')).status, 200);
    await waitUntil(async () => !(await connected()), 'w0 disconnected');
    await waitUntil(connected, 'w0 reconnected', 60_000);
    assert.equal((await rpc('workers/w9', 'kill')).status, 409);
    assert.equal((await rpc('workers/w0', 'stop')).status, 200);
    await waitUntil(async () => !(await connected()), 'w0 shut down');
    // The graceful state belonged to that connection.
    await waitUntil(async () => { const w = (await get('workers/w0')).workers[0]; return !w.graceful && !w.paused; }, 'graceful state cleared');
  });

  it('a Buildbot API script (force, follow, meta.total) passes unchanged', async () => {
    // The worker was shut down above: start it again for the script's build (it gets builds without an unpause).
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(async () => (await get('workers/w0')).workers[0].connected_to.length > 0, 'w0 back');
    const script = join(ROOT, 'test/fixtures/buildbot-api-script/force_and_follow.py');
    const out = await new Promise<string>((resolve, reject) => execFile('python3', [script, base, 'quick', 'root:root-password'], { timeout: 150_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout))));
    assert.match(out, /results 0/);
    assert.match(out, /steps: .*hello/);
  });

  it('masters: reconfig (admin) applies the config; stop shuts the master down gracefully', async () => {
    const masterid = (await get('masters')).masters[0].masterid;
    const r = await rpc(`masters/${masterid}`, 'reconfig');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.ok, true);
    assert.equal((await rpc(`masters/${masterid + 100}`, 'stop')).status, 404);
    assert.equal((await rpc(`masters/${masterid}`, 'stop')).status, 200);
    await waitUntil(async () => { try { await fetch(`${base}/api/v2/masters`); return false; } catch { return true; } }, 'http server closed');
  });
});
