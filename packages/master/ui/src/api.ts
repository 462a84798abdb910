/**
 * REST and JSON-RPC calls to the master (`/api/v2`, Buildbot's shapes). Errors become ApiError
 * with the server's own message, so pages can show users what went wrong.
 */
export const API = '/api/v2';

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly data?: unknown) { super(message); }
}

let csrfToken = '';
/** Set by the session once `/auth/user` or `/auth/login` answered. */
export function setCsrfToken(token: string | undefined | null): void { csrfToken = token ?? ''; }

async function readError(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  let data: unknown;
  try {
    data = await res.json();
    const d = data as { error?: unknown; message?: unknown };
    const e = d.error as { message?: string } | string | undefined;
    message = typeof e === 'string' ? e : e?.message ?? (typeof d.message === 'string' ? d.message : message);
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(message, res.status, data);
}

export async function getJson<T = any>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal });
  if (!res.ok) throw await readError(res);
  return res.json() as Promise<T>;
}

/** A collection under /api/v2: `list('builders/1/builds', {order: '-number', limit: 20})`. */
export async function list<T = any>(path: string, query: Record<string, string | number | boolean> = {}, signal?: AbortSignal): Promise<T[]> {
  const body = await getJson<Record<string, unknown>>(url(path, query), signal);
  const key = Object.keys(body).find((k) => k !== 'meta');
  return (key ? body[key] : []) as T[];
}

/** One entity (Buildbot answers a one-item list); undefined when missing. */
export async function one<T = any>(path: string, query: Record<string, string | number | boolean> = {}, signal?: AbortSignal): Promise<T | undefined> {
  try { return (await list<T>(path, query, signal))[0]; } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

export function url(path: string, query: Record<string, string | number | boolean> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) q.append(k, String(v));
  const qs = q.toString();
  return `${API}/${path}${qs ? `?${qs}` : ''}`;
}

/** A JSON POST carrying the CSRF token (auth endpoints and JSON-RPC). */
export async function postJson<T = any>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    // JSON-RPC errors may come with 4xx statuses and an `error` object: surface its message.
    throw await readError(res);
  }
  return res.json() as Promise<T>;
}

let rpcId = 1;
/** Buildbot's control actions: JSON-RPC 2.0 POST to the resource, e.g. `rpc('builds/12', 'stop', {reason})`. */
export async function rpc<T = any>(path: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
  const res = await postJson<{ result?: T; error?: { code: number; message: string; data?: unknown } }>(`${API}/${path}`, { jsonrpc: '2.0', method, params, id: rpcId++ });
  if (res.error) throw new ApiError(res.error.message, 400, res.error.data);
  return res.result as T;
}
