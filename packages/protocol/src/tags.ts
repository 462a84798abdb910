/**
 * Worker tags and platform (PROTOCOL.md §3.5, a mastro extension of `get_worker_info`). A tag is
 * `key=value` or a bare `flag`; builders select workers with the same strings
 * (`workerTags: ['os=linux', 'docker']`). Every mastro worker also reports its `os` and `arch`,
 * which a master turns into the tags `os=<os>` and `arch=<arch>`: those two keys are the worker's
 * own report and cannot be set by hand. One rule here for the worker that sends tags and the master
 * that matches them.
 */

/** `key` or `key=value`: a key of letters, digits, `.`, `_`, `-` (up to 64), a value without spaces, commas or `=` (up to 128). */
export const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(=[A-Za-z0-9._:/+@-]{1,128})?$/;

/** Tag keys a worker reports itself from its platform; a `--tags` list may not set them. */
export const PLATFORM_TAG_KEYS = ['os', 'arch'] as const;

/**
 * The `os` a worker reports: `linux`, `darwin`, `windows`, or Node's name for any other platform
 * (`freebsd`, ...). Its `arch` is Node's `process.arch` as it is (`x64`, `arm64`, `ia32`, ...).
 */
export function workerOs(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'windows' : platform;
}

export class TagError extends Error {
  constructor(message: string) { super(message); this.name = 'TagError'; }
}

/**
 * Parses a comma-separated tag list (`k=v,k2=v2,flag`, as `--tags` takes it) into its tags, in
 * order, without repeats. Throws TagError naming the bad tag; empty items (`a,,b`, a trailing comma)
 * are refused too, since they are usually a typo.
 */
export function parseTagList(list: string): string[] {
  if (list.trim() === '') return [];
  return checkTags(list.split(',').map((t) => t.trim()));
}

/** Checks a list of tags (worker.json's `tags`, a worker info's `tags`); returns it without repeats or throws TagError. */
export function checkTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  const keys = new Map<string, string>();
  for (const tag of tags) {
    if (typeof tag !== 'string' || !TAG_RE.test(tag)) {
      throw new TagError(`tag ${JSON.stringify(tag)} is not valid: write key=value or a bare flag (letters, digits, '.', '_', '-'; ` +
        `a value may also hold ':', '/', '+', '@'), separated by commas, e.g. --tags docker,gpu=a100`);
    }
    const key = tag.split('=')[0]!;
    if ((PLATFORM_TAG_KEYS as readonly string[]).includes(key)) {
      throw new TagError(`tag ${JSON.stringify(tag)} sets '${key}', which the worker reports itself from its platform (os=linux|darwin|windows, arch=x64|arm64|...); leave it out`);
    }
    const seen = keys.get(key);
    if (seen !== undefined && seen !== tag) throw new TagError(`tags ${JSON.stringify(seen)} and ${JSON.stringify(tag)} give '${key}' two values; keep one`);
    if (seen === undefined) { keys.set(key, tag); out.push(tag); }
  }
  return out;
}
