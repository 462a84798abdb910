/**
 * Reporter kinds by the spec's `kind` (`reporters.gitHubStatusPush({...})` gives kind
 * 'gitHubStatusPush'): each makes a Reporter (base.ts) from its spec. A new reporter is its file
 * plus one line here. None exist yet: the reporters issue brings gitHubStatusPush,
 * gitLabStatusPush, gerritStatusPush, httpStatusPush, mailNotifier, irc and chatWebhook, and the
 * config key that lists them; until then no config can name a reporter, so none is started.
 */
import type { Reporter, ReporterSpec } from './base.js';

export interface ReporterKind<S extends ReporterSpec = ReporterSpec> {
  create(spec: S): Reporter;
}

export type ReporterKinds = Readonly<Record<string, ReporterKind<any>>>;

export const REPORTER_KINDS: ReporterKinds = {};

export class ReporterConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ReporterConfigError'; }
}

/** Makes the reporter a spec names; `kinds` defaults to this master's (tests add their own). */
export function createReporter(spec: ReporterSpec, kinds: ReporterKinds = REPORTER_KINDS): Reporter {
  const kind = Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
  if (!kind) {
    const known = Object.keys(kinds);
    throw new ReporterConfigError(`unknown reporter kind ${JSON.stringify(spec.kind)}; ${known.length ? `kinds are: ${known.join(', ')}` : 'this mastro has no reporters yet'}`);
  }
  return kind.create(spec);
}
