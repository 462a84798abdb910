/**
 * Reporter kinds by the spec's `kind` (`reporters.httpStatusPush({...})` gives kind
 * 'httpStatusPush'): each has its option names, its checks, its default generators, and makes a
 * Reporter (base.ts) from its spec. A new reporter is its file plus one line here (and its factory
 * in specs.ts, its definition in the published schema).
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, isPlainObject, knownKeys, type Obj } from '../model/config-checks.js';
import type { Generator, GeneratorSpec, Reporter, ReporterSpec } from './base.js';
import type { MessageType } from './message/formatter.js';
import { GENERATOR_KINDS, type CheckContext } from './generators/index.js';
import { COMMON_REPORTER_KEYS, checkCommon } from './options.js';
import { httpStatusPushKind } from './http-status-push.js';
import { mailNotifierKind } from './mail-notifier.js';
import { gitHubStatusPushKind } from './github-status-push.js';
import { gitHubCommentPushKind } from './github-comment-push.js';
import { gitLabStatusPushKind } from './gitlab-status-push.js';
import { gerritStatusPushKind } from './gerrit-status-push.js';
import { chatWebhookKind } from './chat-webhook.js';
import { ircKind } from './irc.js';

export interface ReporterKind<S extends ReporterSpec = ReporterSpec> {
  /** The kind's own option names (the common ones, name/generators/retryFor/concurrency, are added). */
  readonly optionKeys: readonly string[];
  /** Reports every mistake in the kind's own options. */
  check(c: IssueCollector, o: Obj, ctx: CheckContext): void;
  /** Generators used when the spec names none (Buildbot's defaults for the reporter). */
  defaultGenerators(): GeneratorSpec[];
  /** The message type its generators default to. */
  readonly templateType?: MessageType;
  create(spec: S, generators: Generator[]): Reporter;
}

export type ReporterKinds = Readonly<Record<string, ReporterKind<any>>>;

export const REPORTER_KINDS: ReporterKinds = {
  httpStatusPush: httpStatusPushKind,
  mailNotifier: mailNotifierKind,
  gitHubStatusPush: gitHubStatusPushKind,
  gitHubCommentPush: gitHubCommentPushKind,
  gitLabStatusPush: gitLabStatusPushKind,
  gerritStatusPush: gerritStatusPushKind,
  chatWebhook: chatWebhookKind,
  irc: ircKind,
};

export class ReporterConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ReporterConfigError'; }
}

function kindOf(spec: { kind?: unknown }, kinds: ReporterKinds): ReporterKind {
  const kind = typeof spec.kind === 'string' && Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
  if (!kind) {
    throw new ReporterConfigError(`unknown reporter kind ${JSON.stringify(spec.kind)}; kinds are: ${Object.keys(kinds).join(', ')}`);
  }
  return kind;
}

/** The reporter's name: its own, or its kind. */
export function reporterName(spec: ReporterSpec): string {
  return spec.name ?? spec.kind;
}

/** Makes the reporter a (checked) spec names, with its generators; `kinds` defaults to this master's. */
export function createReporter(spec: ReporterSpec, kinds: ReporterKinds = REPORTER_KINDS): Reporter {
  const kind = kindOf(spec, kinds);
  const gens = (spec.generators ?? kind.defaultGenerators()).map((g) => {
    const gk = GENERATOR_KINDS[g.kind];
    if (!gk) throw new ReporterConfigError(`reporter ${reporterName(spec)}: unknown generator kind ${JSON.stringify(g.kind)}; kinds are: ${Object.keys(GENERATOR_KINDS).join(', ')}`);
    return gk.create(g, { ...(kind.templateType ? { templateType: kind.templateType } : {}) });
  });
  return kind.create(spec, gens);
}

/**
 * Checks one entry of the config's `reporters` list (path `reporters[i]`): its kind, its options,
 * its generators. Issues go to `c`; the spec is returned when it can be used.
 */
export function checkReporterSpec(raw: unknown, c: IssueCollector, ctx: CheckContext, kinds: ReporterKinds = REPORTER_KINDS): ReporterSpec | null {
  if (!isPlainObject(raw) || typeof raw.kind !== 'string') {
    c.here(`must be a reporter (reporters.httpStatusPush({...}), reporters.mailNotifier({...})), got ${describe(raw)}`);
    return null;
  }
  const kind = Object.hasOwn(kinds, raw.kind) ? kinds[raw.kind] : undefined;
  if (!kind) { c.add('kind', `unknown reporter kind ${JSON.stringify(raw.kind)}; kinds are: ${Object.keys(kinds).join(', ')}`); return null; }
  const before = c.count;
  knownKeys(c, raw, [...COMMON_REPORTER_KEYS, ...kind.optionKeys]);
  checkCommon(c, raw);
  kind.check(c, raw, ctx);
  if (Array.isArray(raw.generators)) {
    raw.generators.forEach((g, i) => {
      const gc = c.at('generators').at(i);
      const gk = isPlainObject(g) && typeof g.kind === 'string' && Object.hasOwn(GENERATOR_KINDS, g.kind) ? GENERATOR_KINDS[g.kind] : undefined;
      if (!gk) { gc.here(`must be a generator (${Object.keys(GENERATOR_KINDS).map((k) => `generators.${k}({...})`).join(', ')}), got ${describe(g)}`); return; }
      knownKeys(gc, g as Obj, ['kind', ...gk.optionKeys]);
      gk.check(gc, g as Obj, ctx);
    });
  }
  return c.count === before ? (raw as ReporterSpec) : null;
}
