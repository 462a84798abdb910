/** Human-readable times and durations (timestamps are Buildbot's: seconds since the epoch). */

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  return `${hrs}h ${m % 60}m`;
}

/** Duration between two timestamps, or until now when `end` is missing (a running build). */
export function elapsed(start: number | null | undefined, end?: number | null): string {
  if (!start) return '';
  return duration((end ?? Date.now() / 1000) - start);
}

export function ago(ts: number | null | undefined): string {
  if (!ts) return '';
  const s = Date.now() / 1000 - ts;
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function isoTime(ts: number | null | undefined): string {
  return ts ? new Date(ts * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '';
}

/** A <time> element: relative text, absolute time as its tooltip and datetime. */
export function timeEl(ts: number | null | undefined): HTMLTimeElement {
  const t = document.createElement('time');
  if (ts) { t.dateTime = new Date(ts * 1000).toISOString(); t.title = isoTime(ts); t.textContent = ago(ts); }
  return t;
}

export function shortRev(rev: string | null | undefined): string {
  return rev ? (/^[0-9a-f]{12,}$/i.test(rev) ? rev.slice(0, 10) : rev) : '';
}
