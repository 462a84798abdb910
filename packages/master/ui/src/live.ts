/**
 * Live updates over `/ws` with Buildbot's protocol: `{cmd:'startConsuming', path, _id}` per path,
 * events `{k: 'builds/12/new', m: {...}}`. Paths use `*` for one segment, like Buildbot.
 *
 * Subscriptions are reference-counted (one startConsuming per path however many pages listen), and
 * restored after a reconnect; pages listening to `onResync` refetch then, because events sent
 * while the socket was down are lost.
 */
export type EventHandler = (key: string[], msg: any) => void;
export type LiveStatus = 'connecting' | 'live' | 'offline';

export class Live {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly subs = new Map<string, { pattern: string[]; handlers: Set<EventHandler> }>();
  private readonly statusListeners = new Set<(s: LiveStatus) => void>();
  private readonly resyncListeners = new Set<() => void>();
  private retryMs = 500;
  private everOpened = false;
  status: LiveStatus = 'connecting';

  constructor(private readonly url: string) { this.connect(); }

  subscribe(path: string, handler: EventHandler): () => void {
    let sub = this.subs.get(path);
    if (!sub) {
      sub = { pattern: path.split('/'), handlers: new Set() };
      this.subs.set(path, sub);
      this.send({ cmd: 'startConsuming', path });
    }
    sub.handlers.add(handler);
    return () => {
      const s = this.subs.get(path);
      if (!s) return;
      s.handlers.delete(handler);
      if (s.handlers.size === 0) {
        this.subs.delete(path);
        this.send({ cmd: 'stopConsuming', path });
      }
    };
  }

  onStatus(fn: (s: LiveStatus) => void): () => void { this.statusListeners.add(fn); fn(this.status); return () => this.statusListeners.delete(fn); }
  onResync(fn: () => void): () => void { this.resyncListeners.add(fn); return () => this.resyncListeners.delete(fn); }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private send(msg: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ ...msg, _id: this.nextId++ }));
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.setStatus('live');
      for (const path of this.subs.keys()) this.send({ cmd: 'startConsuming', path });
      if (this.everOpened) for (const l of this.resyncListeners) l();
      this.everOpened = true;
    };
    ws.onmessage = (ev) => {
      let msg: { k?: string; m?: unknown; code?: number; error?: string; _id?: number };
      try { msg = JSON.parse(String(ev.data)); } catch { return; }
      if (typeof msg.k === 'string') this.dispatch(msg.k, msg.m);
      else if (msg.code !== undefined && msg.code !== 200) console.warn('mastro /ws refused a request:', msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setStatus('offline');
      // Back off (with jitter) so a restarting master is not flooded by every open tab.
      const wait = this.retryMs * (0.75 + Math.random() / 2);
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
      setTimeout(() => { this.setStatus('connecting'); this.connect(); }, wait);
    };
  }

  private dispatch(key: string, msg: unknown): void {
    const parts = key.split('/');
    for (const sub of this.subs.values()) {
      if (matches(sub.pattern, parts)) for (const h of sub.handlers) {
        try { h(parts, msg); } catch (err) { console.error('live event handler failed', key, err); }
      }
    }
  }
}

function matches(pattern: string[], key: string[]): boolean {
  if (pattern.length !== key.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== '*' && pattern[i] !== key[i]) return false;
  return true;
}

export function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
