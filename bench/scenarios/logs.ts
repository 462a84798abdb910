/**
 * Scenario 4: log ingestion. One real mastro worker runs a step printing LINES lines of 100 bytes
 * (99 characters + newline, from `yes | head`); timed from the change sent until the whole log was
 * read back through /api/v2/logs/{id}/raw with the right byte count. The master runs in a child so
 * its peak RSS (VmHWM) is its own.
 *
 * Two runs: the measured one stores the whole log (`logMaxSize: null`, so every byte is ingested,
 * stored and read back), and one with the shipped default logMaxSize (64 MiB) fed a far larger log
 * (2 GiB in the full run), which the master must take in and cut without its memory growing. The
 * same-run limit is the log command's bytes through a bare pipe and zlib (support/limits.ts),
 * measured right before and right after the measured run and averaged.
 */
import { join } from 'node:path';
import { dbOf, type BenchOptions, type Scenario } from '../types.js';
import { masterHasWww, startMasterProc, writeBenchMaster } from '../support/master-proc.js';
import { configDeviations, type BenchMasterConfig } from '../support/configs.js';
import { benchChanges, changeSinkFor } from '../support/changes.js';
import { cpuMsOf, waitUntil } from '../support/proc.js';
import { withScratchDir } from '../support/cleanup.js';
import { startWorkers } from '../support/mastro-workers.js';
import { apiList, readRawLog } from '../support/api.js';
import { pipeZlibLimit } from '../support/limits.js';
import { bbLogLines, buildbotLogs } from './buildbot-side.js';

const LINE = 'mastro-bench-log-line-'.padEnd(99, 'x');
/** Headers (command line, environment, exit code) a raw stdio log may carry besides the output. */
const HEADER_ALLOWANCE = 256 * 1024;
const DEFAULT_LOG_MAX_SIZE = 64 * 1024 * 1024;

export function logCommand(lines: number): string[] {
  return ['sh', '-c', `yes ${LINE} | head -n ${lines}`];
}

interface LogRun {
  t0: number; t1: number; t2: number; t3: number; bytesRead: number; peakAfterIngestMiB: number; peakMiB: number;
  cpu: { master0: number; master1: number; master3: number; worker0: number; worker1: number };
  results: Record<string, number>; delivery: string; read: string; config: BenchMasterConfig;
}

/** One master + one worker; the log build's change -> finished -> raw read, with CPU and memory on the way. */
async function logRun(opts: BenchOptions, root: string, lines: number, logMaxSize: number | null | undefined, around?: { before(): Promise<void>; after(): Promise<void> }): Promise<LogRun> {
  return withScratchDir(root, async (c) => {
    const config: BenchMasterConfig = {
      workerPrefix: 'w', workerCount: 1, password: 'bench-pw', maxBuilds: 1, dbUrl: dbOf(opts).url,
      ...(logMaxSize === undefined ? {} : { logMaxSize }),
      builders: [{ name: 'logs', command: logCommand(lines) }], www: masterHasWww(), scheduler: true,
    };
    const master = await startMasterProc(writeBenchMaster(root, config), { tag: 's4-master' });
    c.add(() => master.stop());
    const [worker] = await startWorkers(join(root, 'workers'), `127.0.0.1:${master.ready.workerPort}`, ['w0'], 'bench-pw');
    c.add(() => worker!.stop());
    await waitUntil(async () => (await master.request<number>('attachedWorkers')) === 1, 30_000, 'the worker to attach');
    const sink = changeSinkFor(master);
    c.add(() => sink.close());
    await around?.before();

    const workerPid = worker!.child.pid!;
    const master0 = cpuMsOf(master.pid), worker0 = cpuMsOf(workerPid);
    const t0 = performance.now();
    const finished = master.request('waitFinished', { count: 1 });
    await sink.send(benchChanges(1, opts.seed, 'logs')[0]!);
    await finished;
    const t1 = performance.now();
    const master1 = cpuMsOf(master.pid), worker1 = cpuMsOf(workerPid);
    const peakAfterIngestMiB = master.memory().hwmKiB / 1024;
    const { lastBuildid, results } = await master.request<{ lastBuildid: number; results: Record<string, number> }>('counts');
    // Step 0 is Buildbot's worker_preparation; the configured shell step is number 1.
    const step = (await apiList(master, ['builds', lastBuildid, 'steps'])).find((s) => s.number === 1);
    const log = (await apiList(master, ['steps', step!.stepid, 'logs'])).find((l) => l.slug === 'stdio');
    if (!log) throw new Error(`build ${lastBuildid} has no stdio log`);
    const t2 = performance.now();
    const read = await readRawLog(master, log.logid);
    const t3 = performance.now();
    const master3 = cpuMsOf(master.pid);
    const peakMiB = master.memory().hwmKiB / 1024;
    await around?.after();
    return { t0, t1, t2, t3, bytesRead: read.bytes, peakAfterIngestMiB, peakMiB, cpu: { master0, master1, master3, worker0, worker1 }, results, delivery: sink.method, read: read.method, config };
  });
}

export const logs: Scenario = {
  id: 4,
  name: 'logs',
  async run(opts: BenchOptions) {
    const lines = opts.quick ? 200_000 : 2_000_000;
    const bytes = lines * 100;
    const mb = bytes / 1e6;
    const limits: Array<{ mbPerSecond: number; cpuMsPerMB: number }> = [];
    const whole = await logRun(opts, join(opts.tmpDir, 's4'), lines, null, {
      before: async () => { limits.push(await pipeZlibLimit(lines)); },
      after: async () => { limits.push(await pipeZlibLimit(lines)); },
    });
    if (!whole.results['0']) throw new Error(`the log build did not succeed (results ${JSON.stringify(whole.results)})`);
    if (whole.bytesRead < bytes || whole.bytesRead > bytes + HEADER_ALLOWANCE) {
      throw new Error(`read back ${whole.bytesRead} bytes from the raw log; expected ${bytes} (+ at most ${HEADER_ALLOWANCE} of headers)`);
    }
    const limitMBps = limits.reduce((a, l) => a + l.mbPerSecond, 0) / limits.length;
    const ingestMBps = mb / ((whole.t1 - whole.t0) / 1000);

    // The shipped logMaxSize, fed far more than it keeps: 2 GiB (quick: 80 MB, still past the 64 MiB cut).
    // Once per bench run: the pairs interleaved with Buildbot repeat only the measured run.
    const bigLines = opts.quick ? 800_000 : Math.ceil(2 * 2 ** 30 / 100);
    const big = (opts.runIndex ?? 0) === 0 ? await logRun(opts, join(opts.tmpDir, 's4-default'), bigLines, undefined) : null;
    const bigMB = (bigLines * 100) / 1e6;
    if (big && big.bytesRead > DEFAULT_LOG_MAX_SIZE + 2 * 1024 * 1024 + HEADER_ALLOWANCE) {
      throw new Error(`with the default logMaxSize the raw log holds ${big.bytesRead} bytes, more than 64 MiB and its marker`);
    }
    return {
      metrics: [
        { name: 'ingest as a fraction of the same-run pipe + zlib limit', value: ingestMBps / limitMBps, unit: 'of limit', better: 'higher' },
        { name: 'master CPU per MB, ingest', value: (whole.cpu.master1 - whole.cpu.master0) / mb, unit: 'ms', target: { value: 1.5, better: 'lower' } },
        { name: 'worker CPU per MB, ingest', value: (whole.cpu.worker1 - whole.cpu.worker0) / mb, unit: 'ms', better: 'lower' },
        { name: 'pipe + zlib limit: CPU per MB', value: limits.reduce((a, l) => a + l.cpuMsPerMB, 0) / limits.length, unit: 'ms', better: 'lower' },
        { name: 'master CPU per MB, raw read', value: (whole.cpu.master3 - whole.cpu.master1) / mb, unit: 'ms', better: 'lower' },
        { name: `master peak RSS, ${opts.quick ? '80 MB' : '2 GiB'} log with the default logMaxSize`, value: big?.peakMiB ?? null, unit: 'MiB', target: { value: 250, better: 'lower' } },
        { name: 'master CPU per MB, ingest with the default logMaxSize', value: big ? (big.cpu.master1 - big.cpu.master0) / bigMB : null, unit: 'ms', better: 'lower' },
        { name: 'stored and read back', value: mb / ((whole.t3 - whole.t0) / 1000), unit: 'MB/s', better: 'higher' },
        { name: 'ingest only (change -> build finished)', value: ingestMBps, unit: 'MB/s', better: 'higher' },
        { name: 'raw read only', value: mb / ((whole.t3 - whole.t2) / 1000), unit: 'MB/s', better: 'higher' },
        { name: 'pipe + zlib limit', value: limitMBps, unit: 'MB/s', better: 'higher' },
        { name: 'master peak RSS', value: whole.peakMiB, unit: 'MiB', target: { value: 250, better: 'lower' } },
        { name: 'master peak RSS before the read', value: whole.peakAfterIngestMiB, unit: 'MiB', better: 'lower' },
      ],
      params: {
        lines, lineBytes: 100, megabytes: mb, rawBytesRead: whole.bytesRead, logMaxSize: null, delivery: whole.delivery, read: whole.read,
        configDeviations: configDeviations(whole.config), limitRuns: limits,
        ...(big ? { defaultLogMaxSizeRun: { lines: bigLines, megabytes: bigMB, rawBytesRead: big.bytesRead, results: big.results, seconds: Number(((big.t1 - big.t0) / 1000).toFixed(1)) } } : {}),
      },
      notes: [
        'MB = 10^6 bytes of step output; "stored and read back" is end to end: change sent -> build finished -> raw log read fully',
        'the measured run sets logMaxSize: null (default 64 MiB) so the whole log is stored and read back; the default is measured in its own run, with a log far past it',
        'CPU per MB: user + system time of the whole process (all threads) from /proc: steadier than the rates on a shared machine',
        `pipe + zlib limit: the same command's ${mb} MB read through a pipe by a Node process that deflates it in 256 KiB pieces at level 1, two at a time (the master's log writer defaults), before and after the run, averaged`,
        ...(opts.vsBuildbot ? [`Buildbot side: ${bbLogLines(opts)} lines (${bbLogLines(opts) / 1e4} MB, bounded: it ingests at a few MB/s), default log compression, raw read through its data API endpoint logs/N/raw`] : []),
      ],
    };
  },
  runBuildbot: buildbotLogs,
};
