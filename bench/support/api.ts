/**
 * Reads from a master child: the REST API (`/api/v2/...`) when it serves HTTP, else the same data
 * layer call over IPC. Both answer the collection as a list of items.
 */
import http from 'node:http';
import type { MasterProc } from './master-proc.js';

export async function apiList(master: MasterProc, path: Array<string | number>): Promise<Record<string, any>[]> {
  if (master.ready.httpPort) {
    const res = await fetch(`http://127.0.0.1:${master.ready.httpPort}/api/v2/${path.join('/')}`);
    if (!res.ok) throw new Error(`GET /api/v2/${path.join('/')} answered HTTP ${res.status}`);
    const body = await res.json() as Record<string, unknown>;
    const key = Object.keys(body).find((k) => k !== 'meta');
    return (key ? body[key] : []) as Record<string, any>[];
  }
  const r = await master.request<{ kind: string; items?: any[]; item?: any }>('get', { path });
  return r.kind === 'collection' ? r.items! : [r.item];
}

/** Reads /api/v2/logs/{id}/raw to the end; returns the byte count. */
export async function readRawLog(master: MasterProc, logid: number): Promise<{ bytes: number; method: string }> {
  const port = master.ready.httpPort;
  if (!port) return { bytes: await master.request<number>('readLogRaw', { logid }), method: 'IPC: data.get(logs/{id}/raw) streamed in the master child (no HTTP layer yet)' };
  const bytes = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `/api/v2/logs/${logid}/raw` }, (res) => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`GET /api/v2/logs/${logid}/raw answered HTTP ${res.statusCode}`)); return; }
      let n = 0;
      res.on('data', (d: Buffer) => { n += d.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    }).on('error', reject);
  });
  return { bytes, method: 'HTTP GET /api/v2/logs/{id}/raw' };
}
