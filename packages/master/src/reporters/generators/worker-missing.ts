/**
 * `generators.workerMissing({ workers, messageFormatter })`: a report when a worker has been gone
 * for its `missingTimeout`, addressed to its `notifyOnMissing` addresses (Buildbot's
 * WorkerMissingGenerator). Workers without notifyOnMissing are not reported.
 */
import type { IssueCollector } from '../../model/config-errors.js';
import { describe, type Obj } from '../../model/config-checks.js';
import { ReportEvents } from '../../data/report-outbox.js';
import type { Generator, GeneratorSpec, MissingWorkerInfo, Report, ReportEvent, ReporterContext } from '../base.js';
import { WorkerMessageFormatter, type MessageFormatterOptions } from '../message/formatter.js';
import type { WorkerMessageContext } from '../message/context.js';
import { checkFormatter, type CheckContext } from './filters.js';

export interface WorkerMissingOptions {
  /** 'all' (default) or the names of the workers to report. */
  workers?: 'all' | string[];
  messageFormatter?: MessageFormatterOptions<WorkerMessageContext>;
}

export const WORKER_MISSING_KEYS = ['workers', 'messageFormatter'] as const;

export function checkWorkerMissing(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  const w = o.workers;
  if (w !== undefined && w !== 'all') {
    if (!Array.isArray(w) || w.some((x) => typeof x !== 'string')) c.add('workers', `must be 'all' or a list of worker names, got ${describe(w)}`);
    else w.forEach((name, i) => { if (!ctx.workerNames.has(name as string)) c.at('workers').add(i, `unknown worker '${name}'; workers are: ${[...ctx.workerNames].join(', ') || '(none)'}`); });
  }
  checkFormatter(c, o);
}

/** The event's payload, as data/updates.ts stored it. */
export function missingWorkerOf(event: ReportEvent): MissingWorkerInfo {
  const p = event.payload ?? {};
  return {
    name: String(p.name ?? `worker ${event.subjectId}`),
    workerid: event.subjectId,
    notify: Array.isArray(p.notify) ? p.notify.map(String) : [],
    missingTimeout: Number(p.missingTimeout ?? 0),
    lastConnection: typeof p.lastConnection === 'number' ? p.lastConnection : null,
  };
}

export class WorkerMissingGenerator implements Generator {
  readonly name = 'workerMissing';
  readonly wantedEvents = [ReportEvents.workerMissing];
  private readonly formatter: WorkerMessageFormatter;

  constructor(private readonly o: WorkerMissingOptions = {}, defaults: { templateType?: 'plain' | 'html' | 'json' } = {}) {
    this.formatter = new WorkerMessageFormatter({ ...(defaults.templateType ? { templateType: defaults.templateType } : {}), ...o.messageFormatter });
  }

  async generate(ctx: ReporterContext, event: ReportEvent): Promise<Report | null> {
    const worker = missingWorkerOf(event);
    const wanted = this.o.workers === undefined || this.o.workers === 'all' || this.o.workers.includes(worker.name);
    if (!wanted || !worker.notify.length) return null;
    const c: WorkerMessageContext = { worker, workername: worker.name, buildbot_title: ctx.title, buildbot_url: ctx.buildbotURL };
    const m = await this.formatter.format(c, (n) => ctx.getSecret(n));
    return {
      generator: this.name, event, type: m.type, subject: m.subject, body: m.body, text: m.text ?? null, results: null,
      builds: [], buildset: null, users: [...worker.notify], logs: [], worker,
    };
  }
}

export function createWorkerMissing(spec: GeneratorSpec, defaults?: { templateType?: 'plain' | 'html' | 'json' }): Generator {
  return new WorkerMissingGenerator(spec as WorkerMissingOptions, defaults);
}
