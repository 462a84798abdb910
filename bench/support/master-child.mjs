/**
 * Entry of a mastro master run in its own process for a scenario, so its RSS and CPU are its own.
 * `node bench/support/master-child.mjs MASTER_DIR` starts the master of that directory from the
 * compiled package (packages/master/dist, what `mastro start` runs: plain JavaScript, no tsx loader
 * in memory) and answers the bench over Node's IPC channel (see master-proc.ts for the requests). The bench
 * still talks HTTP to the master where the scenario says so; IPC carries only what has no public
 * surface: precise build counters from the event bus, memory readings, seeding the queue.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Master } from '../../packages/master/dist/master.js';

const dir = process.argv[2];
if (!dir || !process.send) {
  console.error('usage: node bench/support/master-child.mjs MASTER_DIR (spawned with an IPC channel)');
  process.exit(2);
}
const send = (msg) => process.send(msg);
const now = () => performance.timeOrigin + performance.now();

// BENCH_SQL_STATS=1: count SQLite statements prepared (kysely's SQLite driver prepares one per
// query), by SQL text, to see what a build costs in queries. Off by default: it adds a Map update
// per query.
const sqlCounts = new Map();
if (process.env.BENCH_SQL_STATS) {
  const proto = Database.prototype;
  const original = proto.prepare;
  proto.prepare = function (sql) {
    sqlCounts.set(sql, (sqlCounts.get(sql) ?? 0) + 1);
    return original.call(this, sql);
  };
}

const spawnedAt = Number(process.env.BENCH_SPAWNED_AT ?? now());
// No logger of its own: the master's default, as `mastro start` runs it (info, JSON lines on stdout,
// which master-proc.ts points at mastro.log in the master directory).
const master = await Master.start(dir, { readyFile: false });

let started = 0;
let finished = 0;
let firstStartedAt = null;
let lastFinishedAt = null;
let lastBuildid = null;
const results = {};
/** @type {Array<{ count: number; resolve: (at: number) => void }>} */
const finishWaiters = [];
/** @type {Array<{ count: number; resolve: (at: number) => void }>} */
const startWaiters = [];
let lastStartedAt = null;
/** Start time of each running build, and the durations (new -> finished, ms) of builds finished since the last `buildDurations`. */
const runningSince = new Map();
let durations = [];
master.mq.subscribe(['builds', null, 'new'], (_key, build) => {
  started++;
  firstStartedAt ??= now();
  runningSince.set(build.buildid, now());
  lastStartedAt = now();
  for (let i = startWaiters.length - 1; i >= 0; i--) {
    const w = startWaiters[i];
    if (started >= w.count) { startWaiters.splice(i, 1); w.resolve(lastStartedAt); }
  }
});
master.mq.subscribe(['builds', null, 'finished'], (_key, build) => {
  finished++;
  const since = runningSince.get(build.buildid);
  runningSince.delete(build.buildid);
  if (since !== undefined) durations.push(now() - since);
  lastBuildid = build.buildid;
  results[String(build.results)] = (results[String(build.results)] ?? 0) + 1;
  lastFinishedAt = now();
  for (let i = finishWaiters.length - 1; i >= 0; i--) {
    const w = finishWaiters[i];
    if (finished >= w.count) { finishWaiters.splice(i, 1); w.resolve(lastFinishedAt); }
  }
});

function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), heapUsed: process.memoryUsage().heapUsed };
}

/** @type {Record<string, (args: any) => unknown>} */
const handlers = {
  counts: () => ({ started, finished, firstStartedAt, lastFinishedAt, spawnedAt, lastBuildid, results }),
  memory: () => memory(),
  sqlStats: () => {
    const total = [...sqlCounts.values()].reduce((a, b) => a + b, 0);
    const top = [...sqlCounts].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([sql, n]) => ({ n, sql: sql.slice(0, 160) }));
    return { total, top };
  },
  gc: () => { globalThis.gc?.(); return memory(); },
  attachedWorkers: () => master.workers.workers.length,
  buildDurations: () => { const d = durations; durations = []; return d; },
  /** One janitor pass now (the config's `janitor`); resolves with its report. */
  runJanitor: () => master.janitor.runOnce(),
  /** Resolves with the time the count-th build started (the last start when it already has). */
  waitStarted: ({ count }) =>
    started >= count ? lastStartedAt : new Promise((resolve) => startWaiters.push({ count, resolve })),
  waitFinished: ({ count }) =>
    finished >= count ? lastFinishedAt : new Promise((resolve) => finishWaiters.push({ count, resolve })),
  /** Fallback change injection (no www module yet): what /change_hook/base does after parsing the form. */
  addChange: (change) => master.data.updates.addChange(change),
  /** Queues `n` build requests for `builder` through the data API, in batches. */
  seedBuildsets: async ({ builder, n }) => {
    const builderid = await master.data.updates.findBuilderId(builder);
    for (let i = 0; i < n; i++) {
      await master.data.updates.addBuildset({
        scheduler: 'bench-seed', reason: `bench queue ${i}`, builderids: [builderid],
        sourcestamps: [{ codebase: '', repository: 'bench', branch: 'main', revision: i.toString(16).padStart(40, '0'), project: 'bench' }],
      });
    }
    return n;
  },
  /** Fallback raw log read (no www module yet): the same data-layer stream /api/v2/logs/{id}/raw serves. */
  readLogRaw: async ({ logid }) => {
    const r = await master.data.get(['logs', logid, 'raw']);
    if (r.kind !== 'raw') throw new Error(`logs/${logid}/raw is not raw`);
    let bytes = 0;
    for await (const chunk of r.stream) bytes += Buffer.byteLength(chunk);
    return bytes;
  },
  get: async ({ path, spec }) => {
    const r = await master.data.get(path, spec ?? {});
    return r.kind === 'raw' ? null : r;
  },
  stop: async () => {
    await master.stop({ graceMs: 0 });
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', (msg) => {
  const h = handlers[msg.cmd];
  if (!h) { send({ id: msg.id, error: `unknown request ${msg.cmd}` }); return; }
  Promise.resolve().then(() => h(msg.args)).then(
    (value) => send({ id: msg.id, value }),
    (err) => send({ id: msg.id, error: err?.stack ?? String(err) }),
  );
});
process.on('disconnect', () => { void master.stop({ graceMs: 0 }).finally(() => process.exit(0)); });

send({ ready: { workerPort: master.workerPort, httpPort: master.httpPort, readyAt: now(), spawnedAt, ...memory() } });
