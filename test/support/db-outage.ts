/**
 * The database-outage scenarios: builds on a real mastro worker print numbered log lines in two
 * halves; between them the test takes the database away (stops the PostgreSQL server, fills the
 * disk), lets the second half and the end of each build happen during the outage, then brings the
 * database back. Marker files tell the test where each build is (no sleeps for luck):
 * `half-<buildnumber>` after the first half, `done-<buildnumber>` after the last line.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { TestEnv, waitUntil, type MasterProcess } from './master-harness.js';
import { PgServer } from './pg-server.js';

export interface LinesBuilds {
  markDir: string;
  goFile: string;
  /** Writes the go file: the first builds print their second half and end. */
  go(): void;
  /** Build 1 of each of the first `builders` builders printed its first half / its last line. */
  halfDone(builders: number): boolean;
  allDone(builders: number): boolean;
}

/** Marker directory and go file under the test's root. */
export function linesBuilds(env: TestEnv): LinesBuilds {
  const markDir = join(env.root, 'marks');
  mkdirSync(markDir, { recursive: true });
  const goFile = join(env.root, 'go');
  const all = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => existsSync(join(markDir, `${prefix}-lines${i + 1}-1`))).every(Boolean);
  return { markDir, goFile, go: () => writeFileSync(goFile, ''), halfDone: (n) => all('half', n), allDone: (n) => all('done', n) };
}

/**
 * The shell script of the `lines<N>` builders: `lines` numbered lines ("line 1" ...), marker files
 * `half-<builder>-<number>` and `done-<builder>-<number>`, and after the first half build 1 of each
 * builder waits for the go file (a re-run, build 2, does not).
 */
export function linesScript(b: LinesBuilds, lines: number): string {
  const half = Math.floor(lines / 2);
  const print = (to: number) => `while [ $i -le ${to} ]; do echo "line $i"; [ $((i % 20)) -eq 0 ] && sleep 0.02; i=$((i+1)); done`;
  return [
    'i=1', print(half), `touch ${b.markDir}/half-$BUILDER-$BUILD`,
    `if [ $BUILD -eq 1 ]; then while [ ! -f ${b.goFile} ]; do sleep 0.05; done; fi`,
    print(lines), `touch ${b.markDir}/done-$BUILDER-$BUILD`,
  ].join('\n');
}

/**
 * A config with www, one worker and `builders` builders `lines1`.. running the script, so that many
 * builds run at once on the worker (a builder runs one build per worker at a time).
 */
export function linesConfig(o: { dbUrl: string; db?: Record<string, unknown>; script: string; builders: number }): string {
  const names = Array.from({ length: o.builders }, (_, i) => `lines${i + 1}`);
  return `import { defineConfig, worker, builder, steps, util } from 'mastro';
export default defineConfig({
  db: ${JSON.stringify({ url: o.dbUrl, ...o.db })},
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  workers: [worker('w0', 'pass')],
  builders: ${JSON.stringify(names)}.map((name) => builder({ name, workerNames: ['w0'], collapseRequests: false, steps: [
    steps.shell({ name: 'print', command: ['sh', '-c', ${JSON.stringify(o.script)}],
      env: { BUILDER: util.Interpolate('%(prop:buildername)s'), BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
  ] })),
});
`;
}

export function apiBase(master: MasterProcess): string {
  return `http://127.0.0.1:${master.ready.httpPort}/api/v2`;
}

/** fetch, but a minute without an answer is an error that says so (the master hangs). */
async function fetchOrHang(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    if ((err as Error)?.name === 'TimeoutError') throw new Error(`${init.method ?? 'GET'} ${url} got no answer within 60 s: the master hangs`);
    throw err;
  }
}

/** GET of the REST API; throws unless 200. */
export async function apiGet(master: MasterProcess, path: string): Promise<any> {
  const r = await fetchOrHang(`${apiBase(master)}/${path}`);
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${await r.text()}`);
  return r.json();
}

export async function apiRaw(master: MasterProcess, logid: number): Promise<string> {
  const r = await fetchOrHang(`${apiBase(master)}/logs/${logid}/raw`);
  if (r.status !== 200) throw new Error(`GET logs/${logid}/raw answered ${r.status}: ${await r.text()}`);
  return r.text();
}

/** Status and body of a request that may fail (a minute without an answer is an error). */
export async function tryRequest(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const r = await fetchOrHang(url, init);
  return { status: r.status, body: await r.text() };
}

/**
 * Waits until the master has stored at least `lines` lines of the print log of build 1 of each of
 * the first `builders` builders (a worker sends its output in batches, up to 5 s late).
 */
export async function waitForStoredLines(master: MasterProcess, builders: number, lines: number): Promise<void> {
  await waitUntil(async () => {
    for (let i = 1; i <= builders; i++) {
      const [build] = (await apiGet(master, `builders/lines${i}/builds?number=1`)).builds as any[];
      if (!build) return false;
      const print = ((await apiGet(master, `builds/${build.buildid}/steps`)).steps as any[]).find((s) => s.name === 'print');
      const [log] = print ? (await apiGet(master, `steps/${print.stepid}/logs`)).logs as any[] : [];
      if (!log || log.num_lines < lines) return false;
      // num_lines counts the lines the master holds; /raw stores what it holds first, then reads the
      // database, so the lines it returns are stored ones.
      const stored = (await apiRaw(master, log.logid)).split('\n').filter((l) => l.startsWith('line ')).length;
      if (stored < lines) return false;
    }
    return true;
  }, `the master to store ${lines} lines of each build`, 120_000);
}

/** Waits until every given request is complete and returns the builds of the builder, oldest first. */
export async function settledBuilds(master: MasterProcess, brids: number[], timeoutMs: number): Promise<any[]> {
  return waitUntil(async () => {
    for (const brid of brids) {
      const r = await fetch(`${apiBase(master)}/buildrequests/${brid}`).then((x) => (x.status === 200 ? x.json() : null)).catch(() => null);
      if (!r?.buildrequests?.[0]?.complete) return null;
    }
    const builds = (await apiGet(master, 'builds?order=buildid')).builds as any[];
    return builds.every((b) => b.complete) ? builds : null;
  }, 'every build request to be settled', timeoutMs);
}

/** What the REST API holds of one build's `print` step: the step, its stdio log row and the raw text. */
export async function printedLog(master: MasterProcess, buildid: number): Promise<{ steps: any[]; log: any; raw: string }> {
  const steps = (await apiGet(master, `builds/${buildid}/steps`)).steps as any[];
  const print = steps.find((s) => s.name === 'print');
  assert.ok(print, `build ${buildid} has its print step`);
  const [log] = (await apiGet(master, `steps/${print.stepid}/logs`)).logs as any[];
  assert.ok(log, `the print step of build ${buildid} has a log`);
  return { steps, log, raw: await apiRaw(master, log.logid) };
}

/**
 * Checks that a successful build stored every numbered line exactly once and in order, that the
 * stored line count matches what is stored, and that its steps and log are finished.
 */
export async function assertCompleteBuild(master: MasterProcess, build: any, lines: number): Promise<void> {
  assert.equal(build.results, 0, `build ${build.number} ended SUCCESS (its command exited 0), got ${build.results}: ${build.state_string}`);
  const { steps, log, raw } = await printedLog(master, build.buildid);
  for (const s of steps) {
    assert.equal(s.complete, true, `step ${s.name} of build ${build.number} is finished`);
    assert.equal(s.results, 0, `step ${s.name} of build ${build.number} ended SUCCESS, got ${s.results}: ${s.state_string}`);
  }
  assert.equal(log.complete, true, `the log of build ${build.number} is closed`);
  const all = raw.split('\n');
  all.pop();
  const numbered = all.filter((l) => l.startsWith('line '));
  assert.deepEqual(numbered, Array.from({ length: lines }, (_, i) => `line ${i + 1}`), `build ${build.number}: every line once, in order`);
  assert.equal(log.num_lines, all.length, `build ${build.number}: the stored line count matches the lines stored`);
}

/**
 * The outage scenario on a PostgreSQL server of the test's own: `builds` builds at once print the
 * first half of `lines` lines; the server is stopped (a crash); the builds print the rest and end
 * while it is down; `outageMs` after the stop it starts again. Checks what the API answers during
 * the outage, then that every build ended SUCCESS with every line stored once, in order.
 */
export async function runOutage(o: { outageMs: number; builds: number; lines: number }): Promise<void> {
  const pg = await PgServer.start();
  const env = new TestEnv();
  try {
    const b = linesBuilds(env);
    env.writeConfig(linesConfig({ dbUrl: pg.url, script: linesScript(b, o.lines), builders: o.builds }));
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    const brids: number[] = [];
    for (let i = 1; i <= o.builds; i++) brids.push(...Object.values((await master.submit([`lines${i}`])).brids));
    await waitUntil(() => b.halfDone(o.builds), 'every build to print its first half', 120_000);
    await waitForStoredLines(master, o.builds, o.lines / 2);

    pg.stop('immediate');
    const stoppedAt = Date.now();
    b.go();
    // The API answers at once, and says why it cannot.
    const read = await tryRequest(`${apiBase(master)}/builds`);
    assert.equal(read.status, 503, `GET /builds during the outage: ${read.status} ${read.body}`);
    assert.match(JSON.parse(read.body).error, /database/i);
    const hook = await tryRequest(`http://127.0.0.1:${master.ready.httpPort}/change_hook/base`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'author=a&revision=r1&branch=main',
    });
    assert.equal(hook.status, 503, `a change hook during the outage: ${hook.status} ${hook.body}`);
    assert.match(hook.body, /database is unreachable/, "the base hook answers in text, like Buildbot's");
    await waitUntil(() => b.allDone(o.builds), 'every build to print its last line during the outage', o.outageMs);
    // The outage lasts its full length (the scenario, not a wait for luck).
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + o.outageMs - Date.now())));
    pg.startAgain();

    const builds = await settledBuilds(master, brids, 300_000);
    assert.equal(builds.length, o.builds, 'one build per request: none ran twice');
    for (const build of builds) await assertCompleteBuild(master, build, o.lines);
    for (const brid of brids) {
      const [req] = (await apiGet(master, `buildrequests/${brid}`)).buildrequests;
      assert.equal(req.results, 0, `request ${brid} completed SUCCESS`);
    }
  } finally {
    await env.cleanup();
    pg.destroy();
  }
}
