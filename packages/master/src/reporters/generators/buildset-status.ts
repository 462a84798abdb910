/**
 * `generators.buildSetStatus({ mode, builders, tags, branches, schedulers, subject, messageFormatter,
 * addLogs })`: one report when a buildset completes, about those of its builds that match the
 * filters and the mode (Buildbot's BuildSetStatusGenerator); none when no build matches.
 */
import type { IssueCollector } from '../../model/config-errors.js';
import type { Obj } from '../../model/config-checks.js';
import { ReportEvents } from '../../data/report-outbox.js';
import type { BuildRequestResource, BuildResource, BuildsetResource } from '../../data/types.js';
import type { Generator, GeneratorSpec, Report, ReportEvent, ReporterContext } from '../base.js';
import { loadBuildDetails, type BuildDetails } from '../build-details.js';
import { BuildMessageFormatter } from '../message/formatter.js';
import { buildReport } from './build-message.js';
import { DEFAULT_SUBJECT } from './build-status.js';
import {
  checkResultGenerator, DEFAULT_MAX_LOG_SIZE, DEFAULT_MODES, expandModes, neededByProps, neededByResults, RESULT_GENERATOR_KEYS,
  wantsPreviousBuild, type CheckContext, type ResultGeneratorOptions,
} from './filters.js';

export type BuildSetStatusOptions = ResultGeneratorOptions;

export const BUILDSET_STATUS_KEYS = RESULT_GENERATOR_KEYS;

export function checkBuildSetStatus(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  checkResultGenerator(c, o, ctx);
}

export class BuildSetStatusGenerator implements Generator {
  readonly name = 'buildSetStatus';
  readonly wantedEvents = [ReportEvents.buildsetComplete];
  private readonly modes: string[];
  private readonly formatter: BuildMessageFormatter;

  constructor(private readonly o: BuildSetStatusOptions = {}, defaults: { templateType?: 'plain' | 'html' | 'json' } = {}) {
    this.modes = expandModes(o.mode ?? DEFAULT_MODES);
    this.formatter = new BuildMessageFormatter(o.messageFormatter, { subject: o.subject ?? DEFAULT_SUBJECT, type: defaults.templateType });
  }

  async generate(ctx: ReporterContext, event: ReportEvent): Promise<Report | null> {
    const bsid = event.subjectId;
    const buildset = await ctx.data.getOne<BuildsetResource>(['buildsets', bsid]);
    if (!buildset) return null;
    const requests = await ctx.data.getList<BuildRequestResource>(['buildsets', bsid, 'buildrequests']);
    const builds: BuildDetails[] = [];
    for (const r of requests) {
      for (const b of await ctx.data.getList<BuildResource>(['buildrequests', r.buildrequestid, 'builds'])) {
        const d = await loadBuildDetails(ctx.data, b.buildid, { buildbotURL: ctx.buildbotURL, wantPrevious: wantsPreviousBuild(this.modes) });
        if (d && neededByProps(this.o, d) && neededByResults(this.modes, d)) builds.push(d);
      }
    }
    if (!builds.length) return null;
    return buildReport(ctx, builds, {
      generator: this.name, event, formatter: this.formatter, mode: this.modes, phase: 'finished', isBuildset: true,
      addLogs: this.o.addLogs ?? false, maxLogSize: this.o.maxLogSize ?? DEFAULT_MAX_LOG_SIZE, results: buildset.results,
    });
  }
}

export function createBuildSetStatus(spec: GeneratorSpec, defaults?: { templateType?: 'plain' | 'html' | 'json' }): Generator {
  return new BuildSetStatusGenerator(spec as BuildSetStatusOptions, defaults);
}
