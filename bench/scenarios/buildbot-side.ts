/**
 * The Buildbot 3.7 side of scenarios 1, 3 and 4 (--vs-buildbot): the same builders and the same
 * change POSTs against Debian's Buildbot master with Debian's buildbot-worker. Buildbot's share of
 * the run is bounded (fewer changes, a smaller log); the rates are comparable, the counts are in
 * the returned `params:` entries of the notes.
 */
import { join } from 'node:path';
import type { BenchOptions } from '../types.js';
import { benchChanges } from '../support/changes.js';
import { cpuMsOf, mapLimit } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startBuildbotBench, type BuildbotBench } from '../support/buildbot.js';
import { median } from '../stats.js';
import { logCommand } from './logs.js';

const now = () => performance.timeOrigin + performance.now();

async function withBuildbot<T>(opts: BenchOptions, tag: string, workers: string[], maxBuilds: number, logLines: number, body: (bb: BuildbotBench) => Promise<T>): Promise<T> {
  return withScratchDir(join(opts.tmpDir, `bb-${tag}`), async (c, root) => {
    const bb = await startBuildbotBench(root, { workers, maxBuilds, logCommand: logCommand(logLines) });
    c.add(() => bb.stop());
    await bb.startWorkers(workers);
    return body(bb);
  });
}

/** Changes the Buildbot side gets in scenario 1 (it runs 2-3 builds/s). */
export const bbThroughputChanges = (o: BenchOptions) => (o.quick ? 20 : 100);

export function buildbotThroughput(opts: BenchOptions): Promise<Record<string, number | null>> {
  const n = bbThroughputChanges(opts);
  return withBuildbot(opts, 's1', ['w0', 'w1'], 4, 10, async (bb) => {
    const cpu0 = cpuMsOf(bb.pid);
    const t0 = now();
    await mapLimit(benchChanges(n, opts.seed), 16, (ch) => bb.changes.send(ch));
    await bb.waitFinished(n, 600_000);
    const t1 = now();
    return { 'builds/s': n / ((t1 - t0) / 1000), 'master CPU per build': (cpuMsOf(bb.pid) - cpu0) / n, 'master peak RSS': bb.memory().hwmKiB / 1024 };
  });
}

export const bbLatencyChanges = (o: BenchOptions) => (o.quick ? 5 : 20);

export function buildbotLatency(opts: BenchOptions): Promise<Record<string, number | null>> {
  const n = bbLatencyChanges(opts);
  const warmup = 2;
  return withBuildbot(opts, 's3', ['w0'], 1, 10, async (bb) => {
    const post: number[] = [], started: number[] = [], complete: number[] = [];
    for (const [i, ch] of benchChanges(n + warmup, opts.seed).entries()) {
      const before = (await bb.stats()).finished;
      const t0 = now();
      await bb.changes.send(ch);
      const tPost = now();
      const s = await bb.waitFinished(before + 1, 60_000);
      if (i < warmup) continue;
      post.push(tPost - t0);
      started.push(s.lastStartedAt! - t0);
      complete.push(s.lastFinishedAt! - t0);
    }
    return {
      'change POST -> build started (median)': median(started),
      'change POST -> build complete (median)': median(complete),
      'change POST itself (median)': median(post),
    };
  });
}

export const bbLogLines = (o: BenchOptions) => (o.quick ? 20_000 : 200_000);

export function buildbotLogs(opts: BenchOptions): Promise<Record<string, number | null>> {
  const lines = bbLogLines(opts);
  const bytes = lines * 100;
  return withBuildbot(opts, 's4', ['w0'], 1, lines, async (bb) => {
    const t0 = now();
    await bb.changes.send(benchChanges(1, opts.seed, 'logs')[0]!);
    const s = await bb.waitFinished(1, 600_000);
    const t1 = now();
    if (!s.results['0']) throw new Error(`the Buildbot log build did not succeed (results ${JSON.stringify(s.results)})`);
    const logid = await bb.stdioLogid(s.lastBuildid!);
    const t2 = now();
    const read = await bb.readRaw(logid);
    const t3 = now();
    if (read < bytes - 1) throw new Error(`Buildbot raw log gave ${read} bytes, expected about ${bytes}`);
    const mb = bytes / 1e6;
    return {
      'stored and read back': mb / ((t3 - t0) / 1000),
      'master peak RSS': bb.memory().hwmKiB / 1024,
      'ingest only (change -> build finished)': mb / ((t1 - t0) / 1000),
      'raw read only': mb / ((t3 - t2) / 1000),
    };
  });
}
