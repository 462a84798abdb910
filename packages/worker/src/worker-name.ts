/**
 * The name a pool worker gives itself when `--name` is not given: its host name's first label,
 * cleaned to the pool name rule (PROTOCOL.md §1.1), plus six random hex digits, so two worker
 * directories on one host, or hosts cloned from one image with one host name, still differ.
 * `create-worker` stores it in worker.json, so the same directory keeps its name across restarts.
 */
import { randomBytes } from 'node:crypto';

/** Longest host part: 63 characters in all, minus '-' and six hex digits. */
const HOST_PART_MAX = 56;

export function generatedWorkerName(hostname: string, random: () => string = () => randomBytes(3).toString('hex')): string {
  const label = hostname.split('.')[0] ?? '';
  const host = label.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, HOST_PART_MAX).replace(/-+$/, '');
  return `${host || 'worker'}-${random()}`;
}
