/**
 * Twisted itself (Debian's python3-twisted, which `buildbot` and `buildbot-worker` depend on) as the
 * reference implementation of banana and jelly: values go to `twisted_peer.py` in a tagged JSON form
 * that keeps Python's types, and come back the same way.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter (a pyenv python3 earlier on PATH lacks Twisted). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./twisted_peer.py', import.meta.url));

export type Tagged =
  | { b: string } | { s: string } | { i: string } | { f: number | string } | { B: boolean } | { n: 1 }
  | { l: Tagged[] } | { t: Tagged[] } | { d: [Tagged, Tagged][] } | { set: Tagged[] } | { other: string } | { error: string }
  | { shared: Tagged } | { cycle: 1 } | { dcycle: 1 };

export function twisted<T = unknown>(mode: 'banana-encode' | 'banana-decode' | 'jelly' | 'unjelly' | 'failure' | 'check-failure', cases: unknown[]): T[] {
  const r = spawnSync(SYSTEM_PYTHON, [SCRIPT], { input: JSON.stringify({ mode, cases }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`twisted_peer.py ${mode} failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: T[] }).results;
}

/** Tagged helpers for writing cases. */
export const T = {
  b: (s: string | Buffer): Tagged => ({ b: Buffer.from(s).toString('hex') }),
  s: (s: string): Tagged => ({ s }),
  i: (n: number | bigint): Tagged => ({ i: String(n) }),
  f: (x: number): Tagged => ({ f: Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x }),
  B: (v: boolean): Tagged => ({ B: v }),
  n: { n: 1 } as Tagged,
  l: (...xs: Tagged[]): Tagged => ({ l: xs }),
  t: (...xs: Tagged[]): Tagged => ({ t: xs }),
  d: (...kv: [Tagged, Tagged][]): Tagged => ({ d: kv }),
};
