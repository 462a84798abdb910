/**
 * Locks as users see them (the data layer's `/locks` resource, wired by the composition root):
 * holders and queued step/build waiters from the registry, plus build requests the dispatcher holds
 * back because a build lock is taken. Those never enter the lock's queue (they are re-tried at each
 * dispatch pass), so they are listed here as waiters too.
 */
import type { LockRegistry, LockState } from './locks.js';
import type { BuilderConfig } from './builder-config.js';
import type { RequestDistributor } from './request-distributor.js';

export function describeLocks(
  registry: LockRegistry,
  heldBack: ReturnType<RequestDistributor['lockWaits']>,
  builders: readonly Pick<BuilderConfig, 'name' | 'locks'>[],
): LockState[] {
  const states = new Map(registry.describe().map((l) => [l.id, { ...l, holders: [...l.holders], waiters: [...l.waiters] }]));
  for (const w of heldBack) {
    const lock = w.reason.lock;
    let state = states.get(lock.id);
    if (!state) states.set(lock.id, (state = { ...lock, holders: [...lock.holders], waiters: [] }));
    const builder = builders.find((b) => b.name === w.builderName);
    const access = builder?.locks.find((a) => a.lock.name === lock.name && a.lock.kind === lock.kind);
    state.waiters.push({ owner: `build request ${w.brid} of ${w.builderName} (not started)`, mode: access?.mode ?? 'exclusive', count: access?.count ?? 1 });
  }
  return [...states.values()];
}
