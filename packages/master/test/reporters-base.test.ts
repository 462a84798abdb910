/**
 * The reporter family's base (reporters/base.ts, registry.ts): a reporter made through the
 * registry from its spec, started on a real master's bus and data API, gets the reports its
 * generators build from the events of a real build (a real mastro-worker process on loopback),
 * in event order; a failing delivery is logged and does not stop the next; stop() waits for the
 * delivery in flight. No config can name a reporter yet (the reporters issue adds the key).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Master } from '../src/master.js';
import { ReporterBase, type Generator, type Report, type ReporterContext, type ReporterSpec } from '../src/reporters/base.js';
import { createReporter, REPORTER_KINDS, ReporterConfigError, type ReporterKinds } from '../src/reporters/registry.js';
import type { RoutingKey } from '../src/mq/bus.js';
import { TestEnv, WORKER_CLI, waitUntil } from '../../../test/support/master-harness.js';

/** Buildbot's BuildStartEndStatusGenerator in small: one report when a build starts and one when it ends. */
const startEnd: Generator = {
  name: 'buildStartEnd',
  wantedEvents: [['builds', null, 'new'], ['builds', null, 'finished']],
  async generate(ctx: ReporterContext, key: RoutingKey, event: unknown): Promise<Report> {
    const build = event as { buildid: number; builderid: number; results: number | null };
    const builder = (await ctx.data.get(['builders', build.builderid])) as { item: { name: string } };
    return { generator: 'buildStartEnd', key, type: 'plain', subject: `${builder.item.name} ${key.at(-1)}`, body: `results=${build.results}`, about: [build] };
  },
};

interface RecordingSpec extends ReporterSpec { kind: 'recording'; failFirst?: boolean }

/** A reporter that keeps what it is sent (and, if asked, fails its first delivery). */
class RecordingReporter extends ReporterBase<RecordingSpec> {
  readonly sent: Report[] = [];
  private failed = false;
  constructor(spec: RecordingSpec) { super(spec, 'recording'); }
  protected async send(report: Report): Promise<void> {
    if (this.spec.failFirst && !this.failed) { this.failed = true; throw new Error('the chat server said 503'); }
    this.sent.push(report);
  }
}

const KINDS: ReporterKinds = { ...REPORTER_KINDS, recording: { create: (spec: RecordingSpec) => new RecordingReporter(spec) } };

async function masterWithWorker(t: { after(fn: () => Promise<void>): void }) {
  assert.ok(existsSync(WORKER_CLI), 'the worker is not built; run npm run build first');
  const env = new TestEnv();
  env.writeConfig({}, (m) => m.defineConfig({
    db: { url: 'sqlite:state.sqlite' },
    protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
    www: null,
    workers: [m.worker('w0', 'pass')],
    builders: [m.builder({ name: 'hello', workerNames: ['w0'], collapseRequests: false, steps: [m.steps.shell({ command: ['echo', 'hello'] })] })],
  }));
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) logLines.push(JSON.parse(l)); cb(); } });
  const logger = pino({ level: 'info' }, sink);
  const master = await Master.start(env.masterDir, { logger, readyFile: false });
  t.after(async () => { await master.stop({ graceMs: 0 }); await env.cleanup(); });
  const attached = new Promise<void>((resolve) => master.workers.once('attached', () => resolve()));
  env.startWorker('w0', master.workerPort);
  await attached;
  const ctx: ReporterContext = { mq: master.mq, data: master.data, logger, masterid: master.masterid };
  const build = async () => {
    const builderid = await master.data.updates.findBuilderId('hello');
    return master.data.updates.addBuildset({ scheduler: 'test', reason: 'test', builderids: [builderid], sourcestamps: [{ codebase: '', repository: '', branch: 'main', revision: null, project: '' }] });
  };
  return { master, ctx, build, logLines };
}

test('a reporter made through the registry gets a report when a real build starts and one when it ends, in that order', async (t) => {
  const { ctx, build } = await masterWithWorker(t);
  const reporter = createReporter({ kind: 'recording', name: 'chat', generators: [startEnd] } as RecordingSpec, KINDS) as RecordingReporter;
  assert.equal(reporter.name, 'chat');
  await reporter.start(ctx);
  await build();
  await waitUntil(() => reporter.sent.length >= 2, 'the reports of the build', 120_000);
  await reporter.stop();
  assert.deepEqual(reporter.sent.map((r) => r.subject), ['hello new', 'hello finished']);
  assert.equal(reporter.sent[1]!.body, 'results=0');
  assert.deepEqual(reporter.sent.map((r) => r.key[0]), ['builds', 'builds']);
});

test('a failed delivery is logged with the reporter and the event, and the next report still goes out', async (t) => {
  const { ctx, build, logLines } = await masterWithWorker(t);
  const reporter = createReporter({ kind: 'recording', failFirst: true, generators: [startEnd] } as RecordingSpec, KINDS) as RecordingReporter;
  await reporter.start(ctx);
  await build();
  await waitUntil(() => reporter.sent.length >= 1, 'the report after the failed one', 120_000);
  await reporter.stop();
  assert.deepEqual(reporter.sent.map((r) => r.subject), ['hello finished']);
  const error = logLines.find((l) => l.reporter === 'recording');
  assert.ok(error, 'the failed delivery was logged');
  assert.match(String(error.msg), /reporter recording: reporting builds\.\d+\.new failed; later events are still reported/);
});

test('after stop() a reporter takes no more events; reconfig swaps its generators', async (t) => {
  const { ctx, build } = await masterWithWorker(t);
  const ends: Generator = { ...startEnd, name: 'ends', wantedEvents: [['builds', null, 'finished']] };
  const reporter = createReporter({ kind: 'recording', generators: [startEnd] } as RecordingSpec, KINDS) as RecordingReporter;
  await reporter.start(ctx);
  await reporter.reconfig({ kind: 'recording', generators: [ends] } as RecordingSpec);
  await build();
  await waitUntil(() => reporter.sent.length >= 1, 'the finished report', 120_000);
  await reporter.stop();
  const count = reporter.sent.length;
  ctx.mq.publish(['builds', '999', 'finished'], { buildid: 999, builderid: 1, results: 0 });
  assert.deepEqual(reporter.sent.map((r) => r.subject), ['hello finished']);
  assert.equal(reporter.sent.length, count);
});

test('a reporter kind the registry does not have is refused with the kinds that exist', () => {
  assert.deepEqual(Object.keys(REPORTER_KINDS), [], 'no reporters yet: the reporters issue brings them');
  assert.throws(() => createReporter({ kind: 'mailNotifier' }), (e: Error) => e instanceof ReporterConfigError && /unknown reporter kind "mailNotifier"; this mastro has no reporters yet/.test(e.message));
  assert.throws(() => createReporter({ kind: 'irc' }, KINDS), /unknown reporter kind "irc"; kinds are: recording/);
});
