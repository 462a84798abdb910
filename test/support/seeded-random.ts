/**
 * A deterministic PRNG (mulberry32: small, fast, seedable) for inputs that must be the same on
 * every run: fuzz cases that reproduce from their seed, benchmark scenarios that compare runs.
 * Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `maxParts` pieces drawn from `parts`, joined: random patterns and names built from chosen pieces. */
export function randomString(rnd: () => number, parts: readonly string[], maxParts: number): string {
  let s = '';
  const n = Math.floor(rnd() * (maxParts + 1));
  for (let i = 0; i < n; i++) s += parts[Math.floor(rnd() * parts.length)]!;
  return s;
}
