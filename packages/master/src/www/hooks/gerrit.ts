/**
 * The `gerrit` change-hook dialect: the JSON events Gerrit's webhooks plugin posts (the same shapes
 * as `gerrit stream-events`: patchset-created, change-merged, ref-updated, ...), mapped like the
 * stream source. The plugin signs nothing, so a secret is checked as a token given in the URL
 * (`?token=...`) or an `Authorization: Bearer` header. A replay is detected by the body's hash.
 */
import { gerritEventToChange, type GerritMappingOptions } from '../../changes/gerrit-stream/source.js';
import { bodyDigestKey, header, newReplayGuard, parsePayload, DEFAULT_HOOK_BODY_LIMIT, type ChangeHookDialect, type CommonHookOptions, type HookRequest, type HookVerdict } from './dialect.js';
import { verifyToken } from './signature.js';

export interface GerritHookOptions extends CommonHookOptions, GerritMappingOptions {
  /** Shared token: `?token=<secret>` in the webhook URL or `Authorization: Bearer <secret>`; mismatches get 403. */
  secret?: string;
}

export const GERRIT_HOOK_DEFAULT_EVENTS = ['patchset-created', 'change-merged', 'ref-updated'];

export function createGerritHook(o: GerritHookOptions = {}): ChangeHookDialect {
  const mapping: GerritMappingOptions = { gitBaseURL: o.gitBaseURL, handledEvents: o.handledEvents ?? GERRIT_HOOK_DEFAULT_EVENTS, source: o.source ?? 'GerritWebhook' };
  return {
    name: 'gerrit',
    bodyLimit: o.bodyLimit ?? DEFAULT_HOOK_BODY_LIMIT,
    replayGuard: newReplayGuard('gerrit', o),
    replay: o.replay,
    read(req: HookRequest): HookVerdict {
      if (o.secret) {
        const bearer = /^Bearer (.+)$/i.exec(header(req, 'authorization') ?? '')?.[1];
        const check = verifyToken(o.secret, bearer ?? req.query.token, 'token (?token= or Authorization: Bearer)');
        if (!check.ok) return { kind: 'rejected', status: 403, message: check.reason };
      }
      const parsed = parsePayload(req);
      if (!parsed.ok) return { kind: 'rejected', status: 400, message: parsed.message };
      if (!parsed.payload || typeof parsed.payload.type !== 'string') return { kind: 'rejected', status: 400, message: 'not a Gerrit event: no "type" field' };
      // Events carry no delivery id; an identical body (same event, same eventCreatedOn) is a replay.
      const replayKey = bodyDigestKey(req.body);
      const change = gerritEventToChange(parsed.payload, mapping);
      if (typeof change === 'string') return { kind: 'ignored', message: `${change}; ignored`, deliveryId: null, replayKey };
      return { kind: 'changes', changes: [change], deliveryId: null, replayKey };
    },
  };
}
