/** Renders a build request's `pending_reason` ({code, message, lock?}) for people. */
import { h } from '../dom.js';

const LABELS: Record<string, string> = {
  waiting_for_dispatch: 'Waiting to be scheduled',
  builder_not_configured: 'Builder not running on this master',
  builder_paused: 'Builder paused',
  no_worker_connected: 'No worker connected',
  no_worker_with_tags: 'No worker with the tags',
  all_workers_busy: 'All workers busy',
  waiting_for_lock: 'Waiting for a lock',
  can_start_build_refused: 'canStartBuild refused',
  next_worker_declined: 'No worker chosen',
  queued_behind_others: 'Queued behind other requests',
  master_stopping: 'Master shutting down',
  latent_worker_starting: 'Starting a latent worker',
  latent_provider_paused: 'Latent worker cannot start',
  latent_pool_full: 'Latent pool full',
};

export interface PendingReason { code: string; message?: string; detail?: string; lock?: { kind?: string; name?: string; workerName?: string; holders?: { owner: string }[] } }

export function pendingReasonView(r: PendingReason | null | undefined, claimed = false): HTMLElement {
  if (!r) return h('span', { class: 'muted' }, claimed ? 'claimed: starting' : '');
  const text = r.message ?? r.detail ?? '';
  return h('span', { class: `reason reason-${r.code}`, 'data-reason': r.code },
    h('strong', null, LABELS[r.code] ?? r.code), text ? h('span', { class: 'reason-detail' }, ` — ${text}`) : null);
}
