/**
 * One WebSocket upgrade to a worker port, for tests of how the master answers logins: resolves with
 * the refusal (status, headers, body) or with 101 and the answer's headers (the socket is then
 * closed again at once).
 */
import { WebSocket } from 'ws';
import { POOL_HEADER, basicAuthHeader } from 'mastro-protocol';

export interface UpgradeAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export function upgradeAnswer(url: string, headers: Record<string, string | string[]>): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => { ws.terminate(); resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
    });
    ws.once('upgrade', (res) => { resolve({ status: 101, headers: res.headers, body: '' }); ws.terminate(); });
    ws.once('error', (err) => { if (!/unexpected server response/i.test(err.message)) reject(err); });
  });
}

/** The upgrade headers of a pool worker (PROTOCOL.md §1.1): Basic NAME:TOKEN and X-Mastro-Pool. */
export function poolLoginHeaders(pool: string, name: string, token: string): Record<string, string> {
  return { Authorization: basicAuthHeader(name, token), [POOL_HEADER]: pool };
}
