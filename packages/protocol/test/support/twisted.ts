/**
 * Twisted itself (Debian's python3-twisted, which `buildbot` and `buildbot-worker` depend on) as the
 * reference implementation of banana and jelly: values go to `twisted_peer.py` in a tagged JSON form
 * that keeps Python's types, and come back the same way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { T, type Tagged as BaseTagged } from '../../scripts/pb-tagged.js';

/** Debian's interpreter (a pyenv python3 earlier on PATH lacks Twisted). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./twisted_peer.py', import.meta.url));

/** The tagged form of scripts/pb-tagged.ts, plus what Twisted's helper may answer or take besides. */
export type Tagged = BaseTagged | { set: Tagged[] } | { other: string } | { error: string } | { shared: Tagged } | { cycle: 1 } | { dcycle: 1 };

export function twisted<T = unknown>(mode: 'banana-encode' | 'banana-decode' | 'jelly' | 'unjelly' | 'failure' | 'check-failure', cases: unknown[]): T[] {
  const r = spawnSync(SYSTEM_PYTHON, [SCRIPT], { input: JSON.stringify({ mode, cases }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`twisted_peer.py ${mode} failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: T[] }).results;
}

export { T };

/** A Twisted PB server (`twisted_pb_server.py`) on an ephemeral loopback port. */
export async function startTwistedPbServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(SYSTEM_PYTHON, [fileURLToPath(new URL('./twisted_pb_server.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line').catch(() => [''])) as [string];
  const port = Number(line);
  if (!port) throw new Error(`twisted_pb_server.py did not start: ${Buffer.concat(stderr).toString()}`);
  return {
    port,
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface TwistedCallPlan { method: string; args?: Tagged[]; kwargs?: Record<string, Tagged> }
export type TwistedCallResult = { ok: Tagged } | { error: { type: string; value: string } } | { login_error: { type: string; value: string; parents: string[]; unauthorized: boolean } } | { client_error: string };

/** Runs Twisted's PBClientFactory.login against `port`, then the calls on the perspective; resolves with one result per line. */
export async function runTwistedPbClient(port: number, plan: { user: string; password: string; calls: TwistedCallPlan[] }): Promise<TwistedCallResult[]> {
  const child = spawn(SYSTEM_PYTHON, [fileURLToPath(new URL('./twisted_pb_client.py', import.meta.url)), String(port), JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const [code] = (await once(child, 'close')) as [number | null];
  const text = Buffer.concat(out).toString();
  if (code !== 0) throw new Error(`twisted_pb_client.py exited ${code}: ${text}${Buffer.concat(err).toString()}`);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as TwistedCallResult);
}
