/**
 * Buildset reasons worded as Buildbot 3.7 words them, so scripts and reporters that match on
 * `buildsets.reason` keep working: "The AnyBranchScheduler scheduler named 'all' triggered this
 * build" names the Buildbot class of the scheduler, not mastro's config function.
 */
import type { SchedulerKind } from './specs.js';

/** The Buildbot class each scheduler kind stands for (mastro-only kinds get a name in the same style). */
export const BUILDBOT_CLASS_NAMES: Readonly<Record<SchedulerKind, string>> = {
  anyBranch: 'AnyBranchScheduler',
  singleBranch: 'SingleBranchScheduler',
  force: 'ForceScheduler',
  triggerable: 'Triggerable',
  periodic: 'Periodic',
  nightly: 'Nightly',
  nightlyTriggerable: 'NightlyTriggerable',
  dependent: 'Dependent',
  tryUserpass: 'Try_Userpass',
  tryJobdir: 'Try_Jobdir',
  upstream: 'Upstream',
};

/** Buildbot's default reason of the branch, timed and triggerable schedulers. */
export const DEFAULT_REASON = "The %(classname)s scheduler named '%(name)s' triggered this build";

/**
 * Fills the placeholders Buildbot fills in a configured reason: `%(name)s`, `%(classname)s`, and
 * `%%` for a literal percent sign (so a reason copied from a master.cfg reads the same). Any other
 * text, including a lone `%`, is kept as written.
 */
export function formatReason(template: string, name: string, classname: string): string {
  return template.replace(/%\((name|classname)\)s|%%/g, (_m, key?: string) => (key === 'name' ? name : key === 'classname' ? classname : '%'));
}
