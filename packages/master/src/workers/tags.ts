/**
 * A worker's effective tags, the strings builders select workers with (`workerTags: ['os=linux',
 * 'docker']`, all must match). They are, in this order and without repeats:
 *   - `os=<os>` and `arch=<arch>` from the worker's own report (PROTOCOL.md §3.5); a Buildbot
 *     worker reports neither, so its `os` is inferred as Buildbot's info allows (`system: nt` is
 *     Windows; `os_*` keys come from /etc/os-release, which only Linux has) and it has no `arch`;
 *   - the worker's own tags (`--tags`);
 *   - its pool's tags (`workerPool({ tags })`), which act as defaults: a worker's own tag of the same
 *     key wins over the pool's (`gpu=a100` on a host of a pool tagged `gpu=none`).
 * The tag rules themselves (what a tag looks like) are the protocol package's, shared with the worker.
 */
import { PLATFORM_TAG_KEYS, TAG_RE } from 'mastro-protocol';
import type { WorkerInfo } from './types.js';

export interface WorkerPlatform {
  /** `linux`, `darwin`, `windows`, another Node platform name, or null when unknown. */
  os: string | null;
  /** Node's `process.arch` of the worker, or null when unknown (Buildbot workers). */
  arch: string | null;
}

/** A tag's value part must be a tag value (TAG_RE): anything else a worker sends is not used for selection. */
const PLATFORM_VALUE_RE = /^[A-Za-z0-9._:/+@-]{1,128}$/;

const keyOf = (tag: string): string => tag.split('=')[0]!;

/** The platform a worker reports, or what Buildbot's keys imply for a worker that reports none. */
export function platformOf(info: WorkerInfo): WorkerPlatform {
  const os = typeof info.os === 'string' && PLATFORM_VALUE_RE.test(info.os) ? info.os : inferredOs(info);
  const arch = typeof info.arch === 'string' && PLATFORM_VALUE_RE.test(info.arch) ? info.arch : null;
  return { os, arch };
}

function inferredOs(info: WorkerInfo): string | null {
  if (info.system === 'nt' || info.system === 'win32') return 'windows';
  if (Object.keys(info).some((k) => k.startsWith('os_'))) return 'linux';
  return null;
}

/**
 * The worker's own tags as it sent them: a list of valid tags (TAG_RE, no `os=`/`arch=`). Anything
 * else (a Buildbot worker's `info/tags` file arrives as text) selects nothing; the invalid entries
 * are returned so the master can log them once.
 */
export function reportedTags(info: WorkerInfo): { tags: string[]; ignored: unknown[] } {
  const raw = info.tags;
  if (raw === undefined) return { tags: [], ignored: [] };
  if (!Array.isArray(raw)) return { tags: [], ignored: [raw] };
  const tags: string[] = [];
  const ignored: unknown[] = [];
  const keys = new Set<string>();
  for (const t of raw) {
    const usable = typeof t === 'string' && TAG_RE.test(t) && !(PLATFORM_TAG_KEYS as readonly string[]).includes(keyOf(t)) && !keys.has(keyOf(t));
    if (!usable) { if (!tags.includes(t as string)) ignored.push(t); continue; }
    tags.push(t);
    keys.add(keyOf(t));
  }
  return { tags, ignored };
}

/** The effective tags of a worker (see the header): platform, own tags, then the pool's for keys the worker left unset. */
export function effectiveTags(platform: WorkerPlatform, own: readonly string[], poolTags: readonly string[] = []): string[] {
  const out: string[] = [];
  if (platform.os) out.push(`os=${platform.os}`);
  if (platform.arch) out.push(`arch=${platform.arch}`);
  const keys = new Set(out.map(keyOf));
  for (const tag of [...own, ...poolTags]) {
    const key = keyOf(tag);
    if (keys.has(key) && !out.includes(tag)) continue;
    if (!out.includes(tag)) out.push(tag);
    keys.add(key);
  }
  return out;
}

/**
 * Why a builder's `workerTags` list is not usable, or null when it is: each entry a tag (TAG_RE;
 * here `os=` and `arch=` are what a builder most often asks for), no key with two values (no worker
 * could have both).
 */
export function selectorProblem(tags: readonly unknown[]): { index: number; message: string } | null {
  const seen = new Map<string, string>();
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (typeof tag !== 'string' || !TAG_RE.test(tag)) {
      return { index: i, message: `${JSON.stringify(tag)} is not a tag: write key=value or a bare flag (letters, digits, '.', '_', '-'; a value may also hold ':', '/', '+', '@'), e.g. 'os=linux' or 'docker'` };
    }
    const key = keyOf(tag);
    const other = seen.get(key);
    if (other !== undefined && other !== tag) return { index: i, message: `${JSON.stringify(other)} and ${JSON.stringify(tag)} give '${key}' two values; no worker has both (all tags must match): keep one, or make two builders` };
    seen.set(key, tag);
  }
  return null;
}
