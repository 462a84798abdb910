/**
 * Reads the rate-limit answers of GitHub and GitLab (and any service that sends `retry-after`) into
 * "wait this long before the next request", so the delivery pool waits instead of hammering.
 *
 * GitHub (docs: "Rate limits for the REST API"): the primary limit answers 403 or 429 with
 * `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a secondary limit answers 403
 * or 429, with `retry-after` (seconds) when it says how long, and otherwise "wait at least one
 * minute". GitLab ("Rate limits"): 429 with `retry-after`, `ratelimit-remaining`, `ratelimit-reset`
 * (epoch seconds). Matrix: 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` in the JSON body (and,
 * since v1.10, `retry-after`). `retry-after` may also be an HTTP date (RFC 9110 §10.2.3), and a 503
 * may carry it.
 */

export interface RateLimitOptions {
  /**
   * Wait after a 429 (or a GitHub secondary-limit 403) that does not say how long, ms.
   * @default 60000 (GitHub's documented minimum for a secondary rate limit)
   */
  defaultRateLimitWaitMs?: number;
  /**
   * The longest wait a service may ask for, ms; a longer `retry-after` or reset is cut to this,
   * so a wrong clock or header cannot stop a reporter for days.
   * @default 3600000 (one hour: GitHub's primary window)
   */
  maxRateLimitWaitMs?: number;
}

export const RATE_LIMIT_DEFAULTS: Required<RateLimitOptions> = { defaultRateLimitWaitMs: 60_000, maxRateLimitWaitMs: 3_600_000 };

/** What a response says about waiting. `limited`: a rate limit (403/429); otherwise only a `retry-after` on a failure (503). */
export interface WaitAnswer {
  limited: boolean;
  waitMs: number;
  /** Which header decided, for the message: `retry-after`, `x-ratelimit-reset`, `ratelimit-reset`, or `default`. */
  source: string;
}

type Headers = Readonly<Record<string, string | undefined>>;

/** `retry-after` as ms from `now`: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The remaining count and the reset time (epoch ms) a response announces, GitHub's or GitLab's names. */
export function rateLimitState(headers: Headers): { remaining: number; resetAt?: number } | undefined {
  const remaining = headers['x-ratelimit-remaining'] ?? headers['ratelimit-remaining'];
  if (remaining === undefined || !/^\d+$/.test(remaining.trim())) return undefined;
  const reset = headers['x-ratelimit-reset'] ?? headers['ratelimit-reset'];
  const out: { remaining: number; resetAt?: number } = { remaining: Number(remaining) };
  if (reset !== undefined && /^\d+$/.test(reset.trim())) out.resetAt = Number(reset) * 1000;
  return out;
}

/**
 * How long to wait after a failed response, or undefined when it carries no such answer.
 * A 403 counts as a rate limit only when it says so (headers, or GitHub's "rate limit" message):
 * otherwise it is a permission problem, which waiting does not fix.
 */
export function waitAnswer(status: number, headers: Headers, body: string, now: number, options: RateLimitOptions = {}): WaitAnswer | undefined {
  const o = { ...RATE_LIMIT_DEFAULTS, ...options };
  const clamp = (ms: number) => Math.min(o.maxRateLimitWaitMs, Math.max(1000, ms));
  const retryAfter = parseRetryAfter(headers['retry-after'], now) ?? bodyRetryAfter(body);
  const state = rateLimitState(headers);
  const exhausted = state?.remaining === 0;
  const saysLimit = /rate limit/i.test(body);
  const limited = status === 429 || (status === 403 && (retryAfter !== undefined || exhausted || saysLimit));
  if (limited) {
    if (retryAfter !== undefined) return { limited, waitMs: clamp(retryAfter), source: 'retry-after' };
    if (exhausted && state.resetAt !== undefined) {
      return { limited, waitMs: clamp(state.resetAt - now), source: headers['x-ratelimit-reset'] !== undefined ? 'x-ratelimit-reset' : 'ratelimit-reset' };
    }
    return { limited, waitMs: clamp(o.defaultRateLimitWaitMs), source: 'default' };
  }
  if (retryAfter !== undefined && (status >= 500 || status === 408)) return { limited: false, waitMs: clamp(retryAfter), source: 'retry-after' };
  return undefined;
}

/** Matrix's `retry_after_ms` in a JSON error body. */
function bodyRetryAfter(body: string): number | undefined {
  if (!body.includes('retry_after_ms')) return undefined;
  try {
    const v = (JSON.parse(body) as { retry_after_ms?: unknown }).retry_after_ms;
    return typeof v === 'number' && v >= 0 ? v : undefined;
  } catch { return undefined; }
}
