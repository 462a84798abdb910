/**
 * Scenario 4: log ingestion. One real mastro worker runs a step printing LINES lines of 100 bytes
 * (99 characters + newline, from `yes | head`); timed from the change sent until the whole log was
 * read back through /api/v2/logs/{id}/raw with the right byte count. The master runs in a child so
 * its peak RSS (VmHWM) is its own.
 */
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { masterHasWww, startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { benchChanges, changeSinkFor } from '../support/changes.js';
import { cpuMsOf, waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startWorkers } from '../support/mastro-workers.js';
import { apiList, readRawLog } from '../support/api.js';
import { bbLogLines, buildbotLogs } from './buildbot-side.js';

const LINE = 'mastro-bench-log-line-'.padEnd(99, 'x');
/** Headers (command line, environment, exit code) a raw stdio log may carry besides the output. */
const HEADER_ALLOWANCE = 256 * 1024;

export function logCommand(lines: number): string[] {
  return ['sh', '-c', `yes ${LINE} | head -n ${lines}`];
}

export const logs: Scenario = {
  id: 4,
  name: 'logs',
  async run(opts: BenchOptions) {
    const lines = opts.quick ? 200_000 : 2_000_000;
    const bytes = lines * 100;
    return withScratchDir(join(opts.tmpDir, 's4'), async (c, root) => {
      const dir = writeBenchMaster(root, {
        workerPrefix: 'w', workerCount: 1, password: 'bench-pw', maxBuilds: 1, logMaxSize: null,
        builders: [{ name: 'logs', command: logCommand(lines) }], www: masterHasWww(), scheduler: true,
      });
      const master = await startMasterProc(dir, { tag: 's4-master' });
      c.add(() => master.stop());
      const [worker] = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0'], 'bench-pw');
      c.add(() => worker!.stop());
      await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 1, 30_000, 'the worker to attach');
      const sink = changeSinkFor(master);
      c.add(() => sink.close());

      const workerPid = worker!.child.pid!;
      const cpu0 = { master: cpuMsOf(master.pid), worker: cpuMsOf(workerPid) };
      const t0 = performance.now();
      const finished = master.request('waitFinished', { count: 1 });
      await sink.send(benchChanges(1, opts.seed, 'logs')[0]!);
      await finished;
      const t1 = performance.now();
      const cpu1 = { master: cpuMsOf(master.pid), worker: cpuMsOf(workerPid) };
      const peakAfterIngest = master.memory().hwmKiB / 1024;
      const { lastBuildid, results } = await master.request<{ lastBuildid: number; results: Record<string, number> }>('counts');
      if (!results['0']) throw new Error(`the log build did not succeed (results ${JSON.stringify(results)})`);
      // Step 0 is Buildbot's worker_preparation; the configured shell step is number 1.
      const step = (await apiList(master, ['builds', lastBuildid, 'steps'])).find((s) => s.number === 1);
      const log = (await apiList(master, ['steps', step!.stepid, 'logs'])).find((l) => l.slug === 'stdio');
      if (!log) throw new Error(`build ${lastBuildid} has no stdio log`);
      const t2 = performance.now();
      const read = await readRawLog(master, log.logid);
      const t3 = performance.now();
      const cpu3 = cpuMsOf(master.pid);
      if (read.bytes < bytes || read.bytes > bytes + HEADER_ALLOWANCE) {
        throw new Error(`read back ${read.bytes} bytes from logs/${log.logid}/raw; expected ${bytes} (+ at most ${HEADER_ALLOWANCE} of headers)`);
      }
      const mb = bytes / 1e6;
      const peak = master.memory().hwmKiB / 1024;
      return {
        metrics: [
          { name: 'stored and read back', value: mb / ((t3 - t0) / 1000), unit: 'MB/s', target: { value: 150, better: 'higher' } },
          { name: 'master peak RSS', value: peak, unit: 'MiB', target: { value: 250, better: 'lower' } },
          { name: 'ingest only (change -> build finished)', value: mb / ((t1 - t0) / 1000), unit: 'MB/s' },
          { name: 'master peak RSS before the read', value: peakAfterIngest, unit: 'MiB', better: 'lower' },
          { name: 'raw read only', value: mb / ((t3 - t2) / 1000), unit: 'MB/s' },
          // CPU per MB (all threads, user + system): less noisy than the rates on a shared machine.
          { name: 'master CPU per MB, ingest', value: (cpu1.master - cpu0.master) / mb, unit: 'ms', better: 'lower' },
          { name: 'worker CPU per MB, ingest', value: (cpu1.worker - cpu0.worker) / mb, unit: 'ms', better: 'lower' },
          { name: 'master CPU per MB, raw read', value: (cpu3 - cpu1.master) / mb, unit: 'ms', better: 'lower' },
        ],
        params: { lines, lineBytes: 100, megabytes: mb, rawBytesRead: read.bytes, logMaxSize: null, delivery: sink.method, read: read.method },
        notes: [
          'MB = 10^6 bytes of step output; the figure is end to end: change sent -> build finished -> raw log read fully',
          ...(opts.vsBuildbot ? [`Buildbot side: ${bbLogLines(opts)} lines (${bbLogLines(opts) / 1e4} MB, bounded: it ingests at a few MB/s), default log compression, raw read through its data API endpoint logs/N/raw`] : []),
        ],
      };
    });
  },
  runBuildbot: buildbotLogs,
};
