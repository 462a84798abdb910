/**
 * `generators.buildStatus({ mode, builders, tags, branches, schedulers, subject, messageFormatter,
 * addLogs, reportNew })`: a report when a build finishes and its result matches `mode` (Buildbot's
 * BuildStatusGenerator); with `reportNew` also when it starts.
 */
import type { IssueCollector } from '../../model/config-errors.js';
import { describe, type Obj } from '../../model/config-checks.js';
import { ReportEvents } from '../../data/report-outbox.js';
import type { Generator, GeneratorSpec, Report, ReportEvent, ReporterContext } from '../base.js';
import { asStarted, loadBuildDetails } from '../build-details.js';
import { BuildMessageFormatter } from '../message/formatter.js';
import { buildReport } from './build-message.js';
import {
  checkResultGenerator, DEFAULT_MAX_LOG_SIZE, DEFAULT_MODES, expandModes, neededByProps, neededByResults, RESULT_GENERATOR_KEYS,
  wantsPreviousBuild, type CheckContext, type ResultGeneratorOptions,
} from './filters.js';

export interface BuildStatusOptions extends ResultGeneratorOptions {
  /** Also report when a build starts. Default false. */
  reportNew?: boolean;
}

export const BUILD_STATUS_KEYS = [...RESULT_GENERATOR_KEYS, 'reportNew'] as const;
export const DEFAULT_SUBJECT = 'Buildbot %(result)s in %(title)s on %(builder)s';

export function checkBuildStatus(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  checkResultGenerator(c, o, ctx);
  if (o.reportNew !== undefined && typeof o.reportNew !== 'boolean') c.add('reportNew', `must be true or false, got ${describe(o.reportNew)}`);
}

export class BuildStatusGenerator implements Generator {
  readonly name = 'buildStatus';
  readonly wantedEvents;
  private readonly modes: string[];
  private readonly formatter: BuildMessageFormatter;

  constructor(private readonly o: BuildStatusOptions = {}, defaults: { templateType?: 'plain' | 'html' | 'json'; subject?: string | null } = {}) {
    this.modes = expandModes(o.mode ?? DEFAULT_MODES);
    this.wantedEvents = o.reportNew ? [ReportEvents.buildFinished, ReportEvents.buildStarted] : [ReportEvents.buildFinished];
    this.formatter = new BuildMessageFormatter(o.messageFormatter, { subject: o.subject ?? defaults.subject ?? DEFAULT_SUBJECT, type: defaults.templateType });
  }

  async generate(ctx: ReporterContext, event: ReportEvent): Promise<Report | null> {
    const phase = event.kind === ReportEvents.buildStarted ? 'new' : 'finished';
    let build = await loadBuildDetails(ctx.data, event.subjectId, { buildbotURL: ctx.buildbotURL, wantPrevious: phase === 'finished' && wantsPreviousBuild(this.modes), wantSteps: phase === 'finished' });
    if (!build || !neededByProps(this.o, build)) return null;
    if (phase === 'new') build = asStarted(build);
    if (phase === 'finished' && !neededByResults(this.modes, build)) return null;
    return buildReport(ctx, [build], {
      generator: this.name, event, formatter: this.formatter, mode: this.modes, phase, isBuildset: false,
      addLogs: this.o.addLogs ?? false, maxLogSize: this.o.maxLogSize ?? DEFAULT_MAX_LOG_SIZE,
    });
  }
}

export function createBuildStatus(spec: GeneratorSpec, defaults?: { templateType?: 'plain' | 'html' | 'json' }): Generator {
  return new BuildStatusGenerator(spec as BuildStatusOptions, defaults);
}

