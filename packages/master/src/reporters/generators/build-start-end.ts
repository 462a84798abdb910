/**
 * `generators.buildStartEnd({ builders, tags, branches, schedulers, startFormatter, endFormatter,
 * addLogs })`: a report when a build starts and another when it ends, whatever its result
 * (Buildbot's BuildStartEndStatusGenerator). Commit statuses use it: `pending` at the start,
 * `success`/`failure` at the end; the outbox delivers the two in that order.
 */
import type { IssueCollector } from '../../model/config-errors.js';
import { num, type Obj } from '../../model/config-checks.js';
import { ReportEvents } from '../../data/report-outbox.js';
import type { Generator, GeneratorSpec, Report, ReportEvent, ReporterContext } from '../base.js';
import { asStarted, loadBuildDetails } from '../build-details.js';
import { BuildMessageFormatter, type MessageFormatterOptions } from '../message/formatter.js';
import type { BuildMessageContext } from '../message/context.js';
import { buildReport, DEFAULT_MAX_LOG_SIZE } from './build-message.js';
import { checkAddLogs, checkFilters, checkFormatter, expandModes, FILTER_KEYS, neededByProps, type BuildFilterOptions, type CheckContext } from './filters.js';

export interface BuildStartEndOptions extends BuildFilterOptions {
  /** The message when a build starts. Default: the text `Build started.` (as Buildbot). */
  startFormatter?: MessageFormatterOptions<BuildMessageContext>;
  /** The message when a build ends. Default: the text `Build done.` (as Buildbot). */
  endFormatter?: MessageFormatterOptions<BuildMessageContext>;
  addLogs?: boolean | string[];
  maxLogSize?: number;
}

export const BUILD_START_END_KEYS = [...FILTER_KEYS, 'startFormatter', 'endFormatter', 'addLogs', 'maxLogSize'] as const;

export function checkBuildStartEnd(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  checkFilters(c, o, ctx);
  checkFormatter(c, o, 'startFormatter');
  checkFormatter(c, o, 'endFormatter');
  checkAddLogs(c, o);
  if (o.maxLogSize !== undefined) num(c, o, 'maxLogSize', { fallback: DEFAULT_MAX_LOG_SIZE, min: 1024, integer: true });
}

export class BuildStartEndGenerator implements Generator {
  readonly name = 'buildStartEnd';
  readonly wantedEvents = [ReportEvents.buildStarted, ReportEvents.buildFinished];
  private readonly start: BuildMessageFormatter;
  private readonly end: BuildMessageFormatter;
  private readonly modes = expandModes('all');

  constructor(private readonly o: BuildStartEndOptions = {}, defaults: { templateType?: 'plain' | 'html' | 'json' } = {}) {
    // A JSON reporter's default document is the build itself (formatter.ts), not the text.
    const json = defaults.templateType === 'json';
    this.start = new BuildMessageFormatter(o.startFormatter, json ? { type: 'json', subject: null } : { template: 'Build started.', subject: null });
    this.end = new BuildMessageFormatter(o.endFormatter, json ? { type: 'json', subject: null } : { template: 'Build done.', subject: null });
  }

  async generate(ctx: ReporterContext, event: ReportEvent): Promise<Report | null> {
    const phase = event.kind === ReportEvents.buildStarted ? 'new' : 'finished';
    let build = await loadBuildDetails(ctx.data, event.subjectId, { buildbotURL: ctx.buildbotURL, wantSteps: phase === 'finished' });
    if (!build || !neededByProps(this.o, build)) return null;
    if (phase === 'new') build = asStarted(build);
    return buildReport(ctx, [build], {
      generator: this.name, event, formatter: phase === 'new' ? this.start : this.end, mode: this.modes, phase, isBuildset: false,
      addLogs: this.o.addLogs ?? false, maxLogSize: this.o.maxLogSize ?? DEFAULT_MAX_LOG_SIZE,
    });
  }
}

export function createBuildStartEnd(spec: GeneratorSpec, defaults?: { templateType?: 'plain' | 'html' | 'json' }): Generator {
  return new BuildStartEndGenerator(spec as BuildStartEndOptions, defaults);
}
