/**
 * A real data layer (SQLite in memory, or PostgreSQL through support/db.ts) with helpers that make
 * builds the way the engine makes them (change -> buildset -> claim -> build -> steps with logs ->
 * finish -> requests completed), for the reporter tests: generators read what these write through
 * the same data API the master uses.
 */
import { InProcessMessageQueue } from '../../src/mq/bus.js';
import { DataConnector } from '../../src/data/connector.js';
import type { Db } from '../../src/db/index.js';
import { openDatabase } from '../../src/db/index.js';
import { Results } from '../../src/model/results.js';
import type { ReporterContext } from '../../src/reporters/base.js';

export interface StepPlan { name: string; results?: number; lines?: string[]; state?: string }
export interface BuildPlan {
  builder: string;
  results?: number;
  branch?: string | null;
  author?: string;
  comments?: string;
  revision?: string;
  repository?: string;
  scheduler?: string;
  steps?: StepPlan[];
  /** Builds of one buildset (several builders); default one builder. */
  alsoBuilders?: string[];
}

export class ReportFixture {
  readonly mq = new InProcessMessageQueue();
  readonly data: DataConnector;
  masterid = 0;
  private workerid = 0;
  private rev = 0;

  private constructor(readonly db: Db) {
    this.data = new DataConnector(db, this.mq);
  }

  static async open(db?: Db): Promise<ReportFixture> {
    const f = new ReportFixture(db ?? (await openDatabase('sqlite::memory:')));
    f.masterid = await f.data.updates.masterActive('test-master');
    f.workerid = await f.data.updates.findWorkerId('w0');
    return f;
  }

  /** A ReporterContext for a generator or reporter called directly. */
  context(extra: Partial<ReporterContext> = {}): ReporterContext {
    return {
      data: this.data, logger: quietLogger(), masterid: this.masterid, title: 'Test CI', buildbotURL: 'http://ci.example.org/',
      getSecret: async () => undefined, signal: new AbortController().signal, ...extra,
    };
  }

  /** Starts a build (its change, buildset, claimed request, properties); returns ids to finish it with. */
  async startBuild(p: BuildPlan): Promise<{ buildid: number; bsid: number; brids: number[]; builderid: number }> {
    const u = this.data.updates;
    const revision = p.revision ?? `rev${++this.rev}`;
    const branch = p.branch === undefined ? 'main' : p.branch;
    const repository = p.repository ?? 'https://github.com/o/r';
    const changeid = await u.addChange({ author: p.author ?? 'Alice <alice@example.org>', comments: p.comments ?? `change ${revision}\n\nbody`, revision, branch, repository, files: ['a.c'] });
    const change = (await this.data.getOne<{ sourcestamp: { ssid: number } }>(['changes', changeid]))!;
    const builderids = await Promise.all([p.builder, ...(p.alsoBuilders ?? [])].map((n) => u.findBuilderId(n)));
    const { bsid, brids } = await u.addBuildset({
      scheduler: p.scheduler ?? 'all', reason: 'test', sourcestamps: [change.sourcestamp.ssid], builderids,
      properties: { scheduler: [p.scheduler ?? 'all', 'Scheduler'] },
    });
    const ids = Object.values(brids);
    await u.claimBuildRequests(ids);
    const builderid = builderids[0]!;
    const { buildid, number } = await u.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid: this.workerid, masterid: this.masterid, state_string: 'starting' });
    await u.setBuildProperties(buildid, {
      branch: [branch, 'Build'], revision: [revision, 'Build'], repository: [repository, 'Build'], buildername: [p.builder, 'Builder'],
      buildnumber: [number, 'Build'], workername: ['w0', 'Worker'], scheduler: [p.scheduler ?? 'all', 'Scheduler'],
      owners: [[p.author ?? 'Alice <alice@example.org>'], 'Build'],
    });
    return { buildid, bsid, brids: ids, builderid };
  }

  /** Runs the steps and finishes the build and its request(s). */
  async finishBuild(b: { buildid: number; brids: number[] }, p: BuildPlan): Promise<void> {
    const u = this.data.updates;
    let results = p.results ?? Results.SUCCESS;
    for (const s of p.steps ?? [{ name: 'shell', results }]) {
      const { stepid } = await u.addStep({ buildid: b.buildid, name: s.name, started: true });
      const logid = await u.addLog({ stepid, name: 'stdio', type: 's' });
      await u.appendLog(logid, `${s.name} --run\n`, 'h');
      if (s.lines?.length) await u.appendLog(logid, s.lines.map((l) => `${l}\n`).join(''), 'o');
      await u.finishLog(logid);
      await u.finishStep(stepid, s.results ?? Results.SUCCESS, false, s.state ?? `${s.name} ${s.results ? 'failed' : 'done'}`);
    }
    if (p.results === undefined && p.steps?.some((s) => s.results === Results.FAILURE)) results = Results.FAILURE;
    await u.finishBuild(b.buildid, results, results === Results.SUCCESS ? 'build successful' : 'failed shell');
    // A buildset of several builders completes when the last one is; the others are completed as SUCCESS here.
    if (results === Results.RETRY) await u.unclaimBuildRequests(b.brids);
    else await u.completeBuildRequests(b.brids, results);
  }

  async build(p: BuildPlan): Promise<{ buildid: number; bsid: number; builderid: number }> {
    const b = await this.startBuild(p);
    await this.finishBuild(b, p);
    return b;
  }

  async close(): Promise<void> {
    await this.data.flush();
    await this.db.close();
  }
}

export function quietLogger() {
  const lines: Array<{ level: string; obj: unknown; msg?: string }> = [];
  const log = (level: string) => (obj: unknown, msg?: string) => { lines.push({ level, obj, msg }); };
  return { info: log('info'), warn: log('warn'), error: log('error'), lines };
}
