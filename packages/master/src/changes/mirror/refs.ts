/**
 * Ref snapshots and the differences between two of them, written exactly as git writes a
 * `post-receive` hook's stdin.
 *
 * Ordering (checked against git 2.39 by test/mirror-hook-stdin.test.ts; README.md has the table):
 * receive-pack hands post-receive the commands in the order send-pack sent them. send-pack walks
 * the refs the server advertised, sorted by refname (byte order), so updates and deletions of
 * existing refs always come first and in name order, whatever order the command line gave. Newly
 * created refs follow, in the order of the push refspecs; refspecs with a wildcard and --all,
 * --tags, --mirror expand to sorted lists. A mirror sees only the refs before and after, not the
 * push command, so it lists created refs by name: byte-for-byte identical to git except when one
 * push names several new refs explicitly out of name order (same lines, another order).
 */
export type RefMap = ReadonlyMap<string, string>;

export const ZERO_ID = '0000000000000000000000000000000000000000';

export interface RefUpdate { ref: string; oldSha: string; newSha: string }

/** Parses `git ls-remote` / `git for-each-ref --format='%(objectname) %(refname)'` output (peeled `^{}` lines and HEAD skipped). */
export function parseRefList(text: string, keep: (ref: string) => boolean): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.search(/[\t ]/);
    if (sep < 0) continue;
    const sha = line.slice(0, sep);
    const ref = line.slice(sep + 1).trim();
    if (ref.endsWith('^{}') || !ref.startsWith('refs/') || !keep(ref)) continue;
    refs.set(ref, sha);
  }
  return refs;
}

export function sameRefs(a: RefMap, b: RefMap): boolean {
  if (a.size !== b.size) return false;
  for (const [ref, sha] of a) if (b.get(ref) !== sha) return false;
  return true;
}

// git compares refnames as bytes (strcmp); JS string order (UTF-16 units) differs for some non-ASCII names.
const byName = (x: RefUpdate, y: RefUpdate) => Buffer.compare(Buffer.from(x.ref), Buffer.from(y.ref));

/** What changed from `before` to `after`, in git's post-receive order (see the file comment). */
export function diffRefs(before: RefMap, after: RefMap): RefUpdate[] {
  // The zero id has the length of the repository's object ids (40 for SHA-1, 64 for SHA-256).
  const zero = (sha: string) => (sha.length === 40 ? ZERO_ID : '0'.repeat(sha.length));
  const existing: RefUpdate[] = [];
  const created: RefUpdate[] = [];
  for (const [ref, oldSha] of before) {
    const newSha = after.get(ref);
    if (newSha === undefined) existing.push({ ref, oldSha, newSha: zero(oldSha) });
    else if (newSha !== oldSha) existing.push({ ref, oldSha, newSha });
  }
  for (const [ref, newSha] of after) if (!before.has(ref)) created.push({ ref, oldSha: zero(newSha), newSha });
  return [...existing.sort(byName), ...created.sort(byName)];
}

/** The bytes git writes to a post-receive hook's stdin for these updates. */
export function postReceiveInput(updates: readonly RefUpdate[]): string {
  return updates.map((u) => `${u.oldSha} ${u.newSha} ${u.ref}\n`).join('');
}

/** A predicate for refspec sources such as `+refs/heads/*:refs/heads/*` (the part before ':'). */
export function refspecMatcher(refspecs: readonly string[]): (ref: string) => boolean {
  const patterns = refspecs.map((spec) => {
    const src = spec.replace(/^\+/, '').split(':')[0]!;
    if (!src.includes('*')) return (ref: string) => ref === src;
    const [pre, post] = src.split('*', 2) as [string, string];
    return (ref: string) => ref.length >= pre.length + post.length && ref.startsWith(pre) && ref.endsWith(post);
  });
  return (ref) => patterns.some((p) => p(ref));
}

export function toRecord(m: RefMap): Record<string, string> { return Object.fromEntries(m); }
export function fromRecord(r: unknown): Map<string, string> | null {
  if (!r || typeof r !== 'object') return null;
  return new Map(Object.entries(r as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
