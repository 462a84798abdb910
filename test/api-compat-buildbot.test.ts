/**
 * Differential test of the REST API against the real thing: the same scenario (forced builds with a
 * property, a change through /change_hook/base, a failed build) runs on an unmodified Debian
 * Buildbot 3.7 master (with a stub `buildbot.www` plugin, test/fixtures/buildbot-master/www-stub/)
 * and on a mastro master, each with a mastro worker; then the same requests go to both and the
 * answers are compared field by field after values that must differ (timestamps, master names,
 * worker info, paths) are normalised. "Scripts written against Buildbot's API must work unchanged"
 * (PRODUCT.md §1): every difference listed by this file is one a script could notice.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestEnv, WORKER_CLI, waitUntil, type MasterProcess } from './support/master-harness.js';
import { buildbotMissingReason, stopProcessGroup } from './support/buildbot-master.js';
import { configSource } from './support/config.js';

const run = promisify(execFile);
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

const MASTRO_CONFIG = configSource({}, (m) => m.defineConfig({
  title: 'api compat',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  // Buildbot's default authz lets anyone do anything; mastro denies control by default, so open it.
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} }, authz: { rules: [{ actions: '*', roles: ['anonymous'] }] } },
  workers: [m.worker('w0', 'pass')],
  schedulers: [
    m.schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['quick'] }),
    m.schedulers.force({ name: 'force', builderNames: ['quick', 'failing'], parameters: [m.schedulers.params.string({ name: 'color', default: 'red' })] }),
  ],
  builders: [
    m.builder({ name: 'quick', workerNames: ['w0'], steps: [m.steps.shell({ name: 'ok', command: ['true'] })] }),
    m.builder({ name: 'failing', workerNames: ['w0'], steps: [m.steps.shell({ name: 'fail', command: ['false'] })] }),
  ],
}));

interface Side { name: 'buildbot' | 'mastro'; base: string; ids: Ids }
interface Answer { status: number; contentType: string | null; disposition: string | null; body: unknown }

async function request(side: Side, path: string, init?: RequestInit): Promise<Answer> {
  const r = await fetch(`${side.base}${path}`, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  const text = await r.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* raw log text */ }
  return { status: r.status, contentType: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), body };
}

const rpc = (side: Side, path: string, body: unknown) =>
  request(side, `/api/v2/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Names of the ids each master picked for itself (builder and scheduler ids follow start-up order). */
interface Ids { builders: Map<number, string>; schedulers: Map<number, string>; okStep?: number; okLog?: number }

/** Values that differ between any two masters by nature; compared by type or name only. */
const TIME_KEY = /(^|_)(at|timestamp)$|^last_active$|^when$/;
function normalise(v: unknown, ids: Ids, key = ''): unknown {
  if (key === 'workerinfo') return '<worker info>';
  if (Array.isArray(v)) return v.map((x) => normalise(x, ids, key === 'builderids' ? 'builderid' : key));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x, ids, k);
    if (key === 'master' || key === 'masters') out.name = '<master name>';
    if (Array.isArray(out.configured_on)) out.configured_on = [...out.configured_on].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    return out;
  }
  if (TIME_KEY.test(key) && typeof v === 'number') return '<time>';
  // Error texts cannot match Python's reprs; their presence and the status are compared.
  if ((key === 'error' || key === 'message') && typeof v === 'string') return '<message>';
  // Logs hold each worker's environment and directory: compare their first line and type only.
  if (key === 'num_lines' && typeof v === 'number') return '<count>';
  if ((key === 'content' || key === 'raw') && typeof v === 'string') return v.split('\n')[0];
  if (typeof v === 'string') return v.replace(/worker-(bb|ms)/g, 'worker-dir');
  if (key === 'builderid' && typeof v === 'number') return `builder:${ids.builders.get(v) ?? v}`;
  if (key === 'schedulerid' && typeof v === 'number') return `scheduler:${ids.schedulers.get(v) ?? v}`;
  return v;
}

/** Lists the differences between two JSON values as `path: buildbot=… mastro=…` lines. */
function diff(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  if (kind(a) !== kind(b)) { out.push(`${path}: buildbot=${JSON.stringify(a)?.slice(0, 200)} mastro=${JSON.stringify(b)?.slice(0, 200)}`); return out; }
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) out.push(`${path}: length buildbot=${a.length} mastro=${bb.length}`);
    for (let i = 0; i < Math.min(a.length, bb.length); i++) diff(a[i], bb[i], `${path}[${i}]`, out);
    return out;
  }
  if (a && typeof a === 'object') {
    const ao = a as Record<string, unknown>; const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (!(k in ao)) out.push(`${path}.${k}: only mastro has it (${JSON.stringify(bo[k])?.slice(0, 120)})`);
      else if (!(k in bo)) out.push(`${path}.${k}: only buildbot has it (${JSON.stringify(ao[k])?.slice(0, 120)})`);
      else diff(ao[k], bo[k], `${path}.${k}`, out);
    }
    return out;
  }
  if (a !== b) out.push(`${path}: buildbot=${JSON.stringify(a)} mastro=${JSON.stringify(b)}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The Buildbot side: create-master, the api-compat fixture as master.cfg, the www stub on PYTHONPATH.

async function startBuildbot(root: string): Promise<{ child: ChildProcess; ready: { workerPort: number; wwwPort: number } }> {
  const dir = join(root, 'bbmaster');
  await run('buildbot', ['create-master', '-r', dir], { timeout: 90_000 });
  copyFileSync(join(FIXTURES, 'buildbot-master/api-compat.cfg'), join(dir, 'master.cfg'));
  copyFileSync(join(FIXTURES, 'buildbot-master/api_compat_control.py'), join(dir, 'api_compat_control.py'));
  copyFileSync(join(FIXTURES, 'buildbot-common/loopback_control.py'), join(dir, 'loopback_control.py'));
  writeFileSync(join(dir, 'harness.json'), JSON.stringify({ workerName: 'w0', workerPassword: 'pass' }));
  const pythonPath = [join(FIXTURES, 'buildbot-master/www-stub'), process.env.PYTHONPATH].filter(Boolean).join(':');
  const child = spawn('buildbot', ['start', '--nodaemon', dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: pythonPath } });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const readyFile = join(dir, 'ready.json');
  try {
    await waitUntil(() => {
      if (child.exitCode !== null) throw new Error(`buildbot exited (${child.exitCode}): ${output}`);
      return existsSync(readyFile);
    }, 'the Buildbot master to write ready.json', 90_000);
  } catch (err) {
    await stopProcessGroup(child, 10_000);
    const log = existsSync(join(dir, 'twistd.log')) ? readFileSync(join(dir, 'twistd.log'), 'utf8').split('\n').slice(-40).join('\n') : '';
    throw new Error(`${(err as Error).message}\n--- twistd.log ---\n${log}`);
  }
  return { child, ready: JSON.parse(readFileSync(readyFile, 'utf8')) };
}

function startWorkerFor(env: TestEnv, dirName: string, port: number): void {
  const dir = join(env.root, dirName);
  execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `127.0.0.1:${port}`, 'w0', 'pass']);
  const proc = spawn(process.execPath, [WORKER_CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
  (env as unknown as { procs: Set<ChildProcess> }).procs.add(proc);
}

// ---------------------------------------------------------------------------------------------
// The scenario, driven through the REST API itself, identically on both sides.

function builderId(side: Side, name: string): number {
  for (const [id, n] of side.ids.builders) if (n === name) return id;
  throw new Error(`${side.name} has no builder ${name}`);
}

/** The request path for one side: {quick} and {failing} become that side's builder ids. */
function sidePath(side: Side, path: string): string {
  return path.replace(/\{(quick|failing)\}/g, (_m, name: string) => String(builderId(side, name)))
    .replace('{okstep}', String(side.ids.okStep)).replace('{oklog}', String(side.ids.okLog));
}

/** Collections whose natural (id) order depends on start-up order, not on the scenario: compared by name. */
function sortByName(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = body as Record<string, unknown>;
  for (const type of ['builders', 'schedulers']) {
    const items = b[type];
    if (Array.isArray(items)) b[type] = [...items].sort((x, y) => String(x.name).localeCompare(String(y.name)));
  }
  return body;
}

async function completeBuilds(side: Side): Promise<number> {
  const a = await request(side, '/api/v2/builds?complete=true');
  return (a.body as { meta: { total: number } }).meta.total;
}

async function scenario(side: Side): Promise<void> {
  await waitUntil(async () => {
    const w = (await request(side, '/api/v2/workers')).body as { workers: Array<{ connected_to: unknown[] }> };
    return w.workers[0]?.connected_to.length;
  }, `${side.name}: worker w0 connected`, 60_000);
  const force = async (builderid: number, params: Record<string, unknown>) => {
    const r = await rpc(side, 'forceschedulers/force', { jsonrpc: '2.0', method: 'force', id: 1, params: { builderid, ...params } });
    assert.equal(r.status, 200, `${side.name}: force: ${JSON.stringify(r.body)}`);
  };
  const waitComplete = (n: number) => waitUntil(async () => (await completeBuilds(side)) >= n, `${side.name}: ${n} complete builds`, 60_000);

  const builders = (await request(side, '/api/v2/builders')).body as { builders: Array<{ builderid: number; name: string }> };
  for (const b of builders.builders) side.ids.builders.set(b.builderid, b.name);
  const schedulers = (await request(side, '/api/v2/schedulers')).body as { schedulers: Array<{ schedulerid: number; name: string }> };
  for (const sch of schedulers.schedulers) side.ids.schedulers.set(sch.schedulerid, sch.name);
  const quick = builderId(side, 'quick'); const failing = builderId(side, 'failing');

  await force(quick, { reason: 'first', username: 'Tester <tester@example.com>', color: 'blue' });
  await waitComplete(1);
  const hook = await fetch(`${side.base}/change_hook/base`, {
    method: 'POST',
    body: new URLSearchParams({
      author: 'Alice <alice@example.com>', comments: 'fix the thing', revision: 'abc123', branch: 'main',
      repository: 'https://example.com/repo.git', project: 'proj', category: 'cat', when_timestamp: '1700000000',
      files: JSON.stringify(['a.txt', 'b/c.txt']), properties: JSON.stringify({ flavour: 'vanilla' }), revlink: 'https://example.com/r/abc123',
    }),
  });
  // Buildbot 3.7 means 202 but writes the body first, so 200 reaches the client; mastro sends 200 too.
  assert.equal(hook.status, 200, `${side.name}: change hook: ${hook.status} ${await hook.text()}`);
  await waitComplete(2);
  await force(failing, { reason: 'must fail' });
  await waitComplete(3);
  await force(quick, { reason: 'third' });
  await waitComplete(4);
  const step = ((await request(side, '/api/v2/builds/1/steps/ok')).body as { steps: Array<{ stepid: number }> }).steps[0]!;
  side.ids.okStep = step.stepid;
  side.ids.okLog = ((await request(side, `/api/v2/steps/${step.stepid}/logs/stdio`)).body as { logs: Array<{ logid: number }> }).logs[0]!.logid;
}

// ---------------------------------------------------------------------------------------------

const GETS = [
  // collections and entities
  'builders', 'builders/{quick}', 'builders/quick', 'builders/999', 'builders/nosuch',
  'builds', 'builds/1', 'builds/999', 'buildrequests', 'buildrequests/1', 'buildsets', 'buildsets/1',
  'changes', 'changes/1', 'changes/999', 'sourcestamps', 'sourcestamps/1', 'steps/1', 'logs/1',
  'workers', 'workers/1', 'workers/w0', 'schedulers', 'forceschedulers', 'forceschedulers/force', 'forceschedulers/nope',
  'masters', 'masters/1', 'changesources',
  // nested paths
  'builders/{quick}/builds', 'builders/{quick}/builds/1', 'builders/quick/builds/1', 'builders/quick/builds/99', 'builders/999/builds',
  'builders/{quick}/buildrequests', 'builders/{quick}/workers', 'builders/{quick}/workers/1', 'builders/{failing}/forceschedulers', 'builders/{quick}/masters',
  'builds/1/steps', 'builds/1/steps/1', 'builds/1/steps/0', 'builds/1/steps/ok', 'builds/1/steps/nosuch', 'builds/999/steps', 'builds/1/changes', 'builds/2/changes',
  'builds/1/properties', 'builds/2/properties', 'builders/{quick}/builds/1/steps', 'builders/quick/builds/1/steps/0/logs',
  'buildrequests/1/builds', 'buildsets/1/properties', 'sourcestamps/2/changes', 'changes/1/sourcestamps',
  'steps/{okstep}/logs/stdio/contents', 'builds/1/steps/ok/logs/stdio/raw',
  'workers/1/builds', 'workers/w0/builds', 'masters/1/builders', 'masters/1/workers', 'masters/1/schedulers', 'masters/1/changesources',
  // logs
  'logs/999/raw', 'logs/999/contents',
  // query parameters
  'builds?field=buildid&field=results', 'builds?field=buildid,results', 'builds?limit=2', 'builds?limit=2&offset=1', 'builds?offset=3',
  'builds?order=-buildid', 'builds?order=-number&order=buildid', 'builds?order=-results&order=buildid',
  'builds?complete=true', 'builds?complete=false', 'builds?complete=1', 'builds?complete=yes', 'builds?complete=maybe',
  'builds?results=0', 'builds?results=2', 'builds?results__ne=0', 'builds?results=0&results=2', 'builds?results=0,2',
  'builds?buildid__lt=3', 'builds?buildid__le=3', 'builds?buildid__gt=2', 'builds?buildid__ge=2', 'builds?buildid__ne=2',
  'builds?buildid__in=1&buildid__in=3', 'builds?buildid__notin=1&buildid__notin=3', 'builds?buildid__in=2',
  'builds?state_string__contains=fail', 'builds?builderid={quick}&results=0', 'builds?results=null', 'builds?results__ne=null',
  'builds?limit=abc', 'builds?offset=-1', 'builds?limit=0', 'builds?field=nosuch', 'builds?order=nosuch', 'builds?nosuch=1', 'builds?nosuch__lt=1',
  'builds?field=buildid&order=-number', 'builds?field=buildid&results=0', 'builds/1?field=number', 'builds/1?results=0',
  'builds?property=color&property=reason', 'builds?property=color', 'builds/1?property=color', 'buildrequests?claimed=true', 'buildrequests?complete=true&order=-buildrequestid',
  'changes?branch=main', 'changes?author__contains=Alice', 'changes?order=-changeid', 'changes?limit=1',
  'steps/{okstep}/logs?field=slug', 'builders?name=quick', 'builders?name__contains=ui', 'builders?order=-name',
  'workers?field=name', 'buildsets?complete=true', 'sourcestamps?order=-ssid',
  // unknown things
  'nope', 'builds/abc', 'builds/1/nosuch',
  // collections under a parent that does not exist
  'builds/999/changes', 'steps/999/logs', 'buildrequests/999/builds', 'workers/999/builds', 'builders/999/buildrequests', 'buildsets/999/properties', 'builds/999/properties',
  'masters/999/builders', 'masters/999/workers', 'sourcestamps/999/changes',
  // steps and logs by id (both number Buildbot's worker_preparation step 0)
  'steps/{okstep}', 'steps/{okstep}/logs', 'steps/{okstep}/logs/stdio', 'steps/{okstep}/logs/nosuch', 'builds/1/steps/ok/logs/stdio',
  'logs/{oklog}', 'logs/{oklog}/raw', 'steps/{okstep}/logs/stdio/raw', 'logs/{oklog}/contents?offset=0&limit=1',
];

/**
 * Differences that remain, each with why. Those marked REPORTED are defects outside the REST layer
 * (engine, schedulers, hooks) handed to their owners; the others are deliberate or Buildbot bugs.
 */
const KNOWN: Array<{ path: RegExp; line: RegExp; why: string }> = [
  { path: /./, line: /^\$\.ct: buildbot="text\/plain; charset=utf-8" mastro="application\/json; charset=utf-8"$/, why: 'error bodies are JSON on both; mastro labels them application/json' },
  { path: /buildrequests/, line: /pending_reason: only mastro has it/, why: 'mastro extension: why a request waits' },
  { path: /workers/, line: /\.(pool|tags|os|arch|latent): only mastro has it/, why: 'mastro extension: worker pools, tags, platform and latent workers\' state (issue 13)' },
  { path: /forceschedulers/, line: /all_fields/, why: 'mastro lists force fields flat; Buildbot nests them in layout groups' },
  { path: /limit=|offset=/, line: /meta\.total/, why: 'Buildbot bug: with limit/offset its meta.total is the page length; mastro counts all matches' },
  { path: /field=buildid,results|results=0,2/, line: /./, why: 'mastro extension: comma-separated values' },
  { path: /=null/, line: /./, why: 'mastro extension: null in integer filters' },
  { path: /nosuch__lt|offset=-1/, line: /./, why: 'Buildbot bug: ignores filters on unknown fields and negative offsets; mastro refuses with 400' },
  { path: /^builds\?field=buildid&(order|results)|^builds\/1\?results/, line: /./, why: 'Buildbot refuses orders/filters on unselected fields and filters on entities; mastro allows them' },
  { path: /^builds\/999\/changes$/, line: /./, why: 'Buildbot bug: 500 TypeError; mastro 404' },
  // JSON-RPC
  { path: /^POST /, line: /^\$\.ct: buildbot="application\/json" mastro="application\/json; charset=utf-8"$/, why: 'charset parameter only' },
  { path: /^POST builds\/1$/, line: /^\$\.body\.id: only mastro has it \(null\)$/, why: 'JSON-RPC 2.0 requires id null when the request could not be read' },
  { path: /^POST forceschedulers\/(force|nope)$/, line: /./, why: 'Buildbot bugs: 500 TypeError/AttributeError for an unknown builder or scheduler, 200 null for an unknown method' },
  { path: /^POST builds\/999$/, line: /status: buildbot=200 mastro=404|result: only buildbot|error: only mastro/, why: 'Buildbot sends a stop for a build id that does not exist into the void (result null); mastro answers 404 so a script learns of its wrong id' },
];
const known = (path: string, line: string) => KNOWN.some((k) => k.path.test(path) && k.line.test(line));

describe('REST API answers like Buildbot 3.7 (differential)', { timeout: 300_000 }, async () => {
  const skip = await buildbotMissingReason();
  let env: TestEnv; let master: MasterProcess; let bbChild: ChildProcess | undefined;
  let bb: Side; let ms: Side;

  before(async () => {
    if (skip) return;
    assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
    env = new TestEnv();
    env.writeConfig(MASTRO_CONFIG);
    const [b, m] = await Promise.all([startBuildbot(env.root), env.startMaster()]);
    bbChild = b.child; master = m;
    const noIds = (): Ids => ({ builders: new Map(), schedulers: new Map() });
    bb = { name: 'buildbot', base: `http://127.0.0.1:${b.ready.wwwPort}`, ids: noIds() };
    ms = { name: 'mastro', base: `http://127.0.0.1:${master.ready.httpPort}`, ids: noIds() };
    startWorkerFor(env, 'worker-bb', b.ready.workerPort);
    startWorkerFor(env, 'worker-ms', master.ready.workerPort);
    await Promise.all([scenario(bb), scenario(ms)]);
  });
  after(async () => {
    if (bbChild) await stopProcessGroup(bbChild, 20_000);
    await env?.cleanup();
  });

  it('GET answers', { skip: skip ?? false }, async () => {
    const report: string[] = [];
    for (const path of GETS) {
      const [a, b] = await Promise.all([request(bb, `/api/v2/${sidePath(bb, path)}`), request(ms, `/api/v2/${sidePath(ms, path)}`)]);
      const sorted = !path.includes('order=');
      const shape = (side: Side, x: Answer) => normalise({ status: x.status, ct: x.contentType, cd: x.disposition, body: typeof x.body === 'string' ? { raw: x.body } : sorted ? sortByName(x.body) : x.body }, side.ids);
      const d = diff(shape(bb, a), shape(ms, b)).filter((line) => !known(path, line));
      if (d.length) report.push(`GET ${path}\n  ${d.join('\n  ')}`);
    }
    if (process.env.API_COMPAT_DUMP) writeFileSync(process.env.API_COMPAT_DUMP, report.join('\n'));
    assert.deepEqual(report, []);
  });

  it('JSON-RPC control answers and errors', { skip: skip ?? false }, async () => {
    const call = (method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', method, params, id: 42 });
    const cases: Array<[string, unknown]> = [
      ['forceschedulers/force', call('force', { builderid: 999 })],
      ['forceschedulers/force', call('nosuch')],
      ['forceschedulers/nope', call('force', { builderid: '{quick}' })],
      ['builds/1', call('stop', { reason: 'too late' })],
      ['builds/1', call('nosuch')],
      ['builds/999', call('stop')],
      ['nope', call('stop')],
      ['builds/1', '{not json'],
      ['builds/1', { jsonrpc: '1.0', method: 'stop', params: {}, id: 1 }],
      ['builds/1', { jsonrpc: '2.0', params: {}, id: 1 }],
    ];
    const report: string[] = [];
    for (const [path, body] of cases) {
      const forSide = (side: Side) => (typeof body === 'string' ? body : JSON.parse(sidePath(side, JSON.stringify(body))));
      const [a, b] = await Promise.all([rpc(bb, sidePath(bb, path), forSide(bb)), rpc(ms, sidePath(ms, path), forSide(ms))]);
      const shape = (side: Side, x: Answer) => normalise({ status: x.status, ct: x.contentType, body: x.body }, side.ids);
      const d = diff(shape(bb, a), shape(ms, b)).filter((line) => !known(`POST ${path}`, line));
      if (d.length) report.push(`POST ${path} ${typeof body === 'string' ? body : JSON.stringify(body)}\n  ${d.join('\n  ')}\n  buildbot: ${JSON.stringify(a.body)}\n  mastro: ${JSON.stringify(b.body)}`);
    }
    if (process.env.API_COMPAT_DUMP) writeFileSync(`${process.env.API_COMPAT_DUMP}.rpc`, report.join('\n'));
    assert.deepEqual(report, []);
  });
});
