/**
 * Source steps record what they checked out (`got_revision`, `commit-description`) like Buildbot:
 * a plain value when the step has no codebase, else a dict keyed by codebase so several source
 * steps of a multi-repository build do not overwrite each other.
 */
import type { StepRuntime } from '../../process/step-types.js';

export async function updateSourceProperty(rt: StepRuntime, name: string, value: unknown, codebase: string, source: string): Promise<void> {
  if (!codebase) {
    await rt.setProperty(name, value, source);
    return;
  }
  const current = rt.getProperty<unknown>(name);
  const dict = typeof current === 'object' && current !== null && !Array.isArray(current) ? { ...(current as Record<string, unknown>) } : {};
  dict[codebase] = value;
  await rt.setProperty(name, dict, source);
}
