/**
 * `steps.junit({ path: 'reports/*.xml' })`: reads JUnit XML reports from the worker, shows
 * `N passed, N failed, N skipped` on the step, ends FAILURE when tests failed or errored, and keeps
 * a 'failures' log naming each failing test. Reports are fetched with `glob` + `upload_file` into a
 * private temp directory on the master, bounded by `maxReportSize`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkPositive, makeFactory, requireOption } from './factory.js';
import { commandOutcome, isFatal } from './outcome.js';
import { glob, workerJoin } from './remote-ops.js';
import { emptyReport, formatFailures, mergeReports, parseJUnit, summarize, type TestReport } from './junit-parse.js';

export interface JUnitOptions extends StepOptions {
  /** Report file(s) on the worker, relative to the step's workdir; glob patterns allowed. */
  path: MaybeRenderable<string | readonly string[]>;
  /** Bytes per report file (default 50 MiB): larger reports are refused rather than loaded. */
  maxReportSize?: number;
  /** At most this many report files are read (default 1000). */
  maxReports?: number;
  /** When no report matches: FAILURE (default) or, with allowEmpty, WARNINGS. */
  allowEmpty?: boolean;
  /** Counts go into this build property as {total, passed, failed, errors, skipped} (default 'test_results'; null: none). */
  property?: string | null;
}

export class JUnitStep extends BaseStep<JUnitOptions> implements BuildStep {
  constructor(options: Readonly<JUnitOptions>) { super('junit', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    const rendered = (await rt.render(o.path)) as string | string[];
    const patterns = Array.isArray(rendered) ? rendered : [rendered];
    const log = await rt.addLog('stdio');
    const tmp = await mkdtemp(join(tmpdir(), 'mastro-junit-'));
    try {
      const files = await this.findReports(rt, patterns);
      if (files.length === 0) {
        log.addStderr(`no JUnit report matched ${patterns.map((p) => `'${p}'`).join(', ')} in ${rt.workdir}\n`);
        const result = o.allowEmpty ? Results.WARNINGS : Results.FAILURE;
        await setSummary(rt, o, 'no test reports', result);
        return result;
      }
      let report: TestReport = emptyReport();
      let broken = 0;
      for (const [i, file] of files.slice(0, o.maxReports ?? 1000).entries()) {
        const dest = join(tmp, `${i}.xml`);
        const res = await rt.runRemote((w, b, cb) => w.uploadFile(b, {
          workdir: rt.workdir, workerSrc: file, masterDest: dest, maxsize: o.maxReportSize ?? 50 * 1024 * 1024,
        }, cb), { stdioLog: log });
        const r = commandOutcome(res);
        if (isFatal(r)) return r;
        if (r !== Results.SUCCESS) {
          broken++;
          log.addStderr(`could not read ${file}${res.failure ? `: ${res.failure.message}` : ` (rc=${res.rc})`}\n`);
          continue;
        }
        try {
          const one = parseJUnit(await readFile(dest, 'utf8'));
          log.addStdout(`${file}: ${summarize(one)}\n`);
          report = mergeReports(report, one);
        } catch (err) {
          broken++;
          log.addStderr(`${file}: not a readable JUnit report: ${(err as Error).message}\n`);
        }
      }
      const summary = summarize(report) + (broken ? `, ${broken} unreadable reports` : '');
      const failures = formatFailures(report);
      if (failures) {
        const flog = await rt.addLog('failures', 't');
        flog.addContent(failures);
        await flog.finish();
      }
      const prop = o.property === undefined ? 'test_results' : o.property;
      if (prop) {
        const { total, passed, failed, errors, skipped } = report;
        await rt.setProperty(prop, { total, passed, failed, errors, skipped }, this.name);
      }
      const result = report.failed + report.errors > 0 || broken > 0 ? Results.FAILURE : Results.SUCCESS;
      // Failing counts also go into the build's summary, where people look first.
      await setSummary(rt, o, summary, result, result === Results.SUCCESS ? undefined : summary);
      return result;
    } finally {
      await log.finish();
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Expands glob patterns on the worker; paths come back workdir-relative when possible. */
  private async findReports(rt: StepRuntime, patterns: string[]): Promise<string[]> {
    const out: string[] = [];
    // Paths are shown workdir-relative when the worker's builder directory is known; absolute ones work too.
    const builderDir = rt.worker.builderBasedir?.(rt.build.builderName)
      ?? (rt.worker.info.basedir ? workerJoin(rt, rt.worker.info.basedir, rt.build.builddir) : undefined);
    const base = builderDir ? workerJoin(rt, builderDir, rt.workdir) : undefined;
    for (const p of patterns) {
      if (!/[*?[]/.test(p)) { out.push(p); continue; }
      const found = await glob(rt, workerJoin(rt, rt.workdir, p));
      for (const f of found.sort()) {
        const sepLen = base && f.startsWith(base) ? base.length + 1 : 0;
        out.push(sepLen ? f.slice(sepLen) : f);
      }
    }
    return [...new Set(out)];
  }
}

export function junit(options: JUnitOptions): StepFactory<JUnitOptions> {
  requireOption('junit', options, 'path');
  checkPositive('junit', 'maxReportSize', options.maxReportSize);
  checkPositive('junit', 'maxReports', options.maxReports);
  return makeFactory('junit', options, (o) => new JUnitStep(o));
}
