/**
 * Message formatters: what a generator's `messageFormatter` option says about a report's subject
 * and body (Buildbot's MessageFormatter, MessageFormatterFunction, MessageFormatterRenderable,
 * under Buildbot's option names `template`, `subject`, `templateType`). Each of subject and template
 * may be
 *   - a template string, rendered by the engine's Interpolate: `%(prop:branch)s` reads the build's
 *     properties, `%(src:codebase:revision)s` its sourcestamps, `%(kw:name)s` the message context's
 *     plain values (buildername, result, build_url, status_detected, ...); Buildbot's subject forms
 *     `%(result)s`, `%(builder)s`, `%(title)s`, `%(projectName)s` read the same;
 *   - a renderable (`util.interpolate(...)`, `util.renderer(...)`), rendered the same way;
 *   - a function of the whole context (./context.ts), for anything else; with templateType 'json'
 *     the template function returns the JSON document itself.
 * Without a template the default bodies (./default-bodies.ts) are used.
 */
import { Interpolate, renderValue } from '../../process/renderables.js';
import { isRenderable, type RenderContext, type Renderable } from '../../process/step-types.js';
import { Properties } from '../../process/properties.js';
import type { SourcedProperties } from '../../data/types.js';
import type { BuildMessageContext, WorkerMessageContext } from './context.js';
import { defaultBuildHtml, defaultBuildText, defaultWorkerMissingHtml, defaultWorkerMissingText } from './default-bodies.js';

export type MessageType = 'plain' | 'html' | 'json';
export const MESSAGE_TYPES: readonly MessageType[] = ['plain', 'html', 'json'];

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Template<C> = string | Renderable | ((context: C) => unknown);
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface MessageFormatterOptions<C = BuildMessageContext> {
  /** The body: a template string, a renderable or a function of the context. Default: the built-in text or HTML body. */
  template?: Template<C>;
  /** The subject line (mail). Default: the generator's (Buildbot's `Buildbot %(result)s in %(title)s on %(builder)s`). */
  subject?: Template<C>;
  /** `plain` (default), `html`, or `json` (the template's value is the document). */
  templateType?: MessageType;
  /** Lines of the failing step's log the default body shows. Default 40. */
  logTailLines?: number;
}

export const MESSAGE_FORMATTER_KEYS = ['template', 'subject', 'templateType', 'logTailLines'] as const;
export const DEFAULT_LOG_TAIL_LINES = 40;

export interface FormattedMessage {
  type: MessageType; subject: string | null; body: unknown;
  /** The default HTML body's plain-text twin (a user's HTML template has none: the mail reporter derives one). */
  text?: string;
}

/** The context values a template string reads as `%(kw:name)s`: every plain (string, number, boolean) value, and Buildbot's subject names. */
function kwargsOf(context: object, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) out[k] = v ?? '';
  const blamelist = (context as { blamelist?: unknown }).blamelist;
  if (Array.isArray(blamelist)) out.blamelist = blamelist.join(', ');
  return { ...out, ...extra };
}

/** Buildbot's `%(result)s`-style names (no selector) read as `%(kw:result)s`; Interpolate's own forms are left alone. */
export function legacyToInterpolate(text: string): string {
  return text.replace(/%\(([A-Za-z_][\w]*)\)([sdr])/g, '%(kw:$1)$2');
}

interface Renderer { properties: SourcedProperties; sourcestamps: RenderContext['sourcestamps']; kwargs: Record<string, unknown>; getSecret(name: string): Promise<string | undefined> }

async function renderTemplate<C>(t: Template<C>, context: C, r: Renderer): Promise<unknown> {
  if (typeof t === 'function') return renderValue(await t(context), renderContext(r));
  if (typeof t === 'string') return Interpolate(legacyToInterpolate(t), r.kwargs).getRenderingFor(renderContext(r));
  if (isRenderable(t)) return renderValue(t, renderContext(r));
  return t;
}

function renderContext(r: Renderer): RenderContext {
  return { properties: new Properties(r.properties), sourcestamps: r.sourcestamps, workerInfo: {}, getSecret: r.getSecret };
}

/** Checks a template string now (a config mistake is reported at load, not at the first report). */
export function templateIssue(t: unknown): string | null {
  if (typeof t === 'string') {
    try { Interpolate(legacyToInterpolate(t)); return null; } catch (err) { return (err as Error).message; }
  }
  if (typeof t === 'function' || isRenderable(t)) return null;
  return 'must be a template string (%(prop:name)s, %(kw:buildername)s), a renderable (util.interpolate(...)) or a function of the message context';
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export class BuildMessageFormatter {
  readonly type: MessageType;
  readonly logTailLines: number;

  constructor(private readonly o: MessageFormatterOptions<BuildMessageContext> = {}, private readonly defaults: { subject?: string | null; template?: Template<BuildMessageContext>; type?: MessageType } = {}) {
    this.type = o.templateType ?? defaults.type ?? 'plain';
    this.logTailLines = o.logTailLines ?? DEFAULT_LOG_TAIL_LINES;
  }

  async format(c: BuildMessageContext, getSecret: Renderer['getSecret'], extraKwargs: Record<string, unknown> = {}): Promise<FormattedMessage> {
    const b = c.build;
    const r: Renderer = {
      properties: b.properties ?? {},
      sourcestamps: (b.buildset?.sourcestamps ?? []).map((ss) => ({ ssid: ss.ssid, codebase: ss.codebase, repository: ss.repository, branch: ss.branch, revision: ss.revision, project: ss.project })),
      kwargs: kwargsOf(c, { builder: c.buildername, title: c.buildbot_title, projectName: c.buildbot_title, number: b.number, buildid: b.buildid, ...extraKwargs }),
      getSecret,
    };
    const template = this.o.template ?? this.defaults.template;
    let body: unknown;
    let text: string | undefined;
    if (template !== undefined) {
      const v = await renderTemplate(template, c, r);
      body = this.type === 'json' ? v : asText(v);
    } else if (this.type === 'html') {
      body = defaultBuildHtml(c);
      text = defaultBuildText(c);
    } else {
      body = this.type === 'json' ? b : defaultBuildText(c);
    }
    const subjectT = this.o.subject ?? this.defaults.subject ?? null;
    const subject = subjectT === null ? null : oneLine(asText(await renderTemplate(subjectT, c, r)));
    return { type: this.type, subject, body, ...(text !== undefined ? { text } : {}) };
  }
}

export class WorkerMessageFormatter {
  readonly type: MessageType;
  constructor(private readonly o: MessageFormatterOptions<WorkerMessageContext> = {}) {
    this.type = o.templateType ?? 'plain';
  }

  async format(c: WorkerMessageContext, getSecret: Renderer['getSecret']): Promise<FormattedMessage> {
    const r: Renderer = { properties: {}, sourcestamps: [], kwargs: kwargsOf(c, { worker: c.worker.name, title: c.buildbot_title, projectName: c.buildbot_title }), getSecret };
    let body: unknown;
    let text: string | undefined;
    if (this.o.template !== undefined) {
      const v = await renderTemplate(this.o.template, c, r);
      body = this.type === 'json' ? v : asText(v);
    } else if (this.type === 'html') {
      body = defaultWorkerMissingHtml(c);
      text = defaultWorkerMissingText(c);
    } else {
      body = this.type === 'json' ? c.worker : defaultWorkerMissingText(c);
    }
    // A literal subject (not a template: a worker name may hold a '%').
    const subject = this.o.subject === undefined ? `Buildbot worker ${c.worker.name} missing` : oneLine(asText(await renderTemplate(this.o.subject, c, r)));
    return { type: this.type, subject, body, ...(text !== undefined ? { text } : {}) };
  }
}

/** Subjects are one line (Buildbot refuses newlines; a rendered value may still carry one). */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
