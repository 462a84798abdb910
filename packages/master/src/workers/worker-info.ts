/**
 * Normalises a worker's `get_worker_info` answer. Python workers may send some values as bytes
 * (msgpack bin, which arrives as a Buffer); Buildbot decodes them to text, and so do we, so the
 * rest of the master only ever sees strings.
 */
import type { WorkerInfo } from './types.js';

function text(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}

export function normaliseWorkerInfo(raw: unknown): WorkerInfo {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const info: WorkerInfo = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'environ' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const environ: Record<string, string> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) environ[k] = String(text(v));
      info.environ = environ;
    } else if (key === 'admin' || key === 'host' || key === 'access_uri') {
      // `info/` files end with a newline on disk; Buildbot shows them stripped.
      const v = text(value);
      info[key] = typeof v === 'string' ? v.trim() : (v as string);
    } else {
      info[key] = text(value);
    }
  }
  return info;
}
