/**
 * Buildset reasons worded as Buildbot 3.7 words them, so scripts and reporters that match on
 * `buildsets.reason` keep working: "The AnyBranchScheduler scheduler named 'all' triggered this
 * build" names the Buildbot class of the scheduler (each scheduler class's `buildbotClass`), not
 * mastro's config function.
 */
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
