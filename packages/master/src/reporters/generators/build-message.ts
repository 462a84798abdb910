/**
 * Builds the report for one build or a buildset's builds (Buildbot's build_message and
 * buildset_message): the formatted subject and body, the interested users, and the attached logs
 * (`addLogs`), each cut to its last `maxLogSize` bytes.
 */
import type { Report, ReportEvent, ReporterContext, ReportLog } from '../base.js';
import { logText, type BuildDetails, type LogDetails } from '../build-details.js';
import { buildMessageContext } from '../message/context.js';
import type { BuildMessageFormatter } from '../message/formatter.js';

export { DEFAULT_MAX_LOG_SIZE } from './filters.js';

export interface BuildMessageOptions {
  generator: string;
  event: ReportEvent;
  formatter: BuildMessageFormatter;
  mode: readonly string[];
  /** 'new' (a build started) or 'finished'. */
  phase: 'new' | 'finished';
  addLogs: boolean | readonly string[];
  maxLogSize: number;
  isBuildset: boolean;
  /** The buildset's result when several builds are reported together. */
  results?: number | null;
}

/** Buildbot's _should_attach_log: true/false, or the log's name or `stepname.logname` listed. */
export function shouldAttachLog(addLogs: boolean | readonly string[], stepname: string, log: LogDetails): boolean {
  if (typeof addLogs === 'boolean') return addLogs;
  return addLogs.includes(log.name) || addLogs.includes(`${stepname}.${log.name}`);
}

async function logsFor(ctx: ReporterContext, build: BuildDetails, o: BuildMessageOptions): Promise<ReportLog[]> {
  if (o.addLogs === false || (Array.isArray(o.addLogs) && !o.addLogs.length)) return [];
  const out: ReportLog[] = [];
  for (const step of build.steps) {
    for (const log of step.logs) {
      if (!shouldAttachLog(o.addLogs, step.name, log)) continue;
      const { content, truncatedLines } = await logText(ctx.data, log, o.maxLogSize);
      out.push({ buildername: build.builder.name, stepname: step.name, name: log.name, logid: log.logid, content, truncatedLines });
    }
  }
  return out;
}

export async function buildReport(ctx: ReporterContext, builds: readonly BuildDetails[], o: BuildMessageOptions): Promise<Report> {
  let subject: string | null = null;
  let body: unknown = null;
  let text: string | null = null;
  const users = new Set<string>();
  const logs: ReportLog[] = [];
  for (const build of builds) {
    const c = await buildMessageContext(ctx.data, build, {
      event: o.phase, mode: o.mode, isBuildset: o.isBuildset, title: ctx.title, buildbotURL: ctx.buildbotURL, logTailLines: o.formatter.logTailLines,
    });
    const m = await o.formatter.format(c, (n) => ctx.getSecret(n), o.isBuildset ? { builder: 'whole buildset' } : {});
    subject ??= m.subject;
    // Buildbot's _merge_body: texts are concatenated, JSON bodies collected in a list.
    if (o.formatter.type === 'json') body = builds.length > 1 ? [...((body as unknown[] | null) ?? []), m.body] : m.body;
    else body = `${(body as string | null) ?? ''}${m.body as string}`;
    if (m.text !== undefined) text = `${text ?? ''}${m.text}`;
    for (const u of build.blamelist) users.add(u);
    logs.push(...(await logsFor(ctx, build, o)));
  }
  const first = builds[0];
  return {
    generator: o.generator,
    event: o.event,
    type: o.formatter.type,
    subject,
    body,
    text,
    results: o.results !== undefined ? o.results : o.phase === 'new' ? null : first?.results ?? null,
    builds,
    buildset: first?.buildset ?? null,
    users: [...users].sort(),
    logs,
    worker: null,
  };
}
