/**
 * Matches data paths (['builders', 3, 'builds']) against endpoint patterns in Buildbot's notation:
 * `n:` a number, `i:` an identifier, and (mastro's) `s:` any one non-empty segment, for ids such as
 * `worker:compile@w0` that are not Buildbot identifiers.
 */
import type { Endpoint, Kwargs } from './resources/context.js';

const IDENT = /^[a-zA-Z_-][a-zA-Z0-9._-]*$/;
const NUM = /^\d+$/;

type Kind = 'n' | 'i' | 's';
interface Compiled { endpoint: Endpoint; segments: Array<{ literal: string } | { name: string; kind: Kind }> }

export class Router {
  private readonly byLength = new Map<number, Compiled[]>();

  constructor(endpoints: Endpoint[]) {
    for (const endpoint of endpoints) {
      const segments = endpoint.pattern.split('/').map((s) => {
        const m = /^([nis]):(\w+)$/.exec(s);
        return m ? { name: m[2]!, kind: m[1] as Kind } : { literal: s };
      });
      let list = this.byLength.get(segments.length);
      if (!list) this.byLength.set(segments.length, (list = []));
      list.push({ endpoint, segments });
    }
  }

  match(path: ReadonlyArray<string | number>): { endpoint: Endpoint; kwargs: Kwargs } | undefined {
    const parts = path.map(String);
    outer: for (const c of this.byLength.get(parts.length) ?? []) {
      const kwargs: Kwargs = {};
      for (let i = 0; i < parts.length; i++) {
        const seg = c.segments[i]!;
        const part = parts[i]!;
        if ('literal' in seg) { if (seg.literal !== part) continue outer; continue; }
        if (seg.kind === 'n') { if (!NUM.test(part)) continue outer; kwargs[seg.name] = Number(part); }
        else if (seg.kind === 'i') { if (!IDENT.test(part)) continue outer; kwargs[seg.name] = part; }
        else { if (!part) continue outer; kwargs[seg.name] = part; }
      }
      return { endpoint: c.endpoint, kwargs };
    }
    return undefined;
  }
}
