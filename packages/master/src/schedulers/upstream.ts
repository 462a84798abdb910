/**
 * The upstream scheduler: follows another master (mastro or Buildbot, through its REST API) and
 * starts local builds whenever a named upstream builder finishes a successful build, with the
 * upstream build's revision pinned for one local codebase (the "library at its last known-good
 * revision, bindings at HEAD" case). Other configured codebases are built at their branch head.
 *
 * Each poll is one request: GET {url}/api/v2/builders/{builder}/builds?complete=true&results=0
 * &order=-number&limit=N&property=got_revision&property=revision. The newest build number seen is
 * persisted, so a restart neither repeats nor skips builds; the first poll only records it.
 */
import { BaseScheduler } from './base.js';
import type { SourceStampInput } from '../data/updates-api.js';
import type { CommonSchedulerOptions } from './specs.js';
import { describe, isPlainObject, num, optStr, str } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS } from './checks.js';
import { UPSTREAM_OPTION_DEFAULTS } from '../options/schedulers.js';

const CLASS_NAME = 'UpstreamScheduler';
/** Upstream builds considered per poll (older ones in a burst are skipped: the newest wins). */
const PAGE = 20;

interface UpstreamBuild { buildid: number; number: number; results: number | null; properties?: Record<string, [unknown, string]> }

/** Declared with the upstream scheduler's options (options/schedulers.ts). */
export const UPSTREAM_DEFAULTS = UPSTREAM_OPTION_DEFAULTS;

export interface UpstreamOptions extends CommonSchedulerOptions {
  /** Base URL of the upstream master's web server (mastro or Buildbot), e.g. 'http://ci.example.org:8010'. */
  url: string;
  /** Name of the upstream builder whose successful builds we follow. */
  builder: string;
  /** Local codebase pinned at the upstream build's revision. Default ''. */
  codebase?: string;
  /** Seconds between polls of the upstream API. Default 30. */
  pollInterval?: number;
  /** Credentials for the upstream API: HTTP Basic user/password, or a bearer token. */
  auth?: { username: string; password: string } | { token: string };
  /** Seconds one request to the upstream may take. Default 30. */
  requestTimeout?: number;
}

export class UpstreamScheduler extends BaseScheduler<UpstreamOptions> {
  protected readonly buildbotClass = 'Upstream';
  private timer: NodeJS.Timeout | undefined;
  private lastNumber: number | null = null;
  private polling: Promise<void> = Promise.resolve();
  /** Last poll error, for logs without repeating the same line every interval. */
  private lastError: string | null = null;

  protected async activate(): Promise<void> {
    this.lastNumber = (await this.services.updates.getState(this.name, CLASS_NAME, 'last_number', null)) as number | null;
    this.schedule(0);
  }

  protected override async deactivate(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => { if (this.active) this.schedule((this.spec.pollInterval ?? UPSTREAM_DEFAULTS.pollInterval) * 1000); });
    }, ms);
  }

  private buildsUrl(): string {
    const base = this.spec.url.replace(/\/+$/, '');
    const q = new URLSearchParams({ complete: 'true', results: '0', order: '-number', limit: String(PAGE) });
    q.append('property', 'got_revision');
    q.append('property', 'revision');
    return `${base}/api/v2/builders/${encodeURIComponent(this.spec.builder)}/builds?${q}`;
  }

  private headers(): Record<string, string> {
    const a = this.spec.auth;
    if (!a) return { accept: 'application/json' };
    if ('token' in a) return { accept: 'application/json', authorization: `Bearer ${a.token}` };
    return { accept: 'application/json', authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` };
  }

  /** One poll; never throws (errors are logged once per distinct message). */
  async poll(): Promise<void> {
    if (!this.active) return;
    try {
      const res = await fetch(this.buildsUrl(), { headers: this.headers(), signal: AbortSignal.timeout((this.spec.requestTimeout ?? UPSTREAM_DEFAULTS.requestTimeout) * 1000) });
      if (!res.ok) throw new Error(`upstream answered HTTP ${res.status} for builder '${this.spec.builder}'${res.status === 404 ? ' (does the builder exist there?)' : ''}`);
      const body = (await res.json()) as { builds?: UpstreamBuild[] };
      const builds = (body.builds ?? []).filter((b) => b.results === 0).sort((a, b) => b.number - a.number);
      this.lastError = null;
      const newest = builds[0];
      if (this.lastNumber === null) {
        // First contact: remember where the upstream is, like a poller's first run.
        await this.remember(newest?.number ?? 0);
        this.log.info({ scheduler: this.name, upstreamBuilder: this.spec.builder, number: this.lastNumber }, 'upstream scheduler recorded the upstream position');
        return;
      }
      if (!newest || newest.number <= this.lastNumber) return;
      const revision = this.revisionOf(newest);
      if (!revision) {
        this.log.warn({ scheduler: this.name, upstreamBuild: newest.number }, 'upstream build has no got_revision/revision property; building the branch head');
      }
      await this.startFor(newest, revision);
      await this.remember(newest.number);
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.lastError) this.log.warn({ scheduler: this.name, url: this.spec.url, err: msg }, 'polling the upstream master failed; will retry');
      this.lastError = msg;
    }
  }

  private async remember(n: number): Promise<void> {
    this.lastNumber = n;
    await this.services.updates.setState(this.name, CLASS_NAME, 'last_number', n);
  }

  /** got_revision is a string (one codebase) or codebase -> revision (several); revision is the requested one. */
  private revisionOf(b: UpstreamBuild): string | null {
    const got = b.properties?.got_revision?.[0];
    const cb = this.spec.codebase ?? UPSTREAM_DEFAULTS.codebase;
    if (typeof got === 'string' && got) return got;
    if (got && typeof got === 'object') {
      const m = got as Record<string, unknown>;
      const v = m[cb] ?? (Object.keys(m).length === 1 ? Object.values(m)[0] : undefined);
      if (typeof v === 'string' && v) return v;
    }
    const rev = b.properties?.revision?.[0];
    return typeof rev === 'string' && rev ? rev : null;
  }

  private async startFor(b: UpstreamBuild, revision: string | null): Promise<void> {
    const pinned = this.spec.codebase ?? UPSTREAM_DEFAULTS.codebase;
    const defaults = this.codebaseDefaults();
    if (!defaults.has(pinned)) defaults.set(pinned, {});
    const sourcestamps: SourceStampInput[] = [...defaults].map(([codebase, d]) => ({
      codebase, repository: d.repository ?? '', branch: d.branch ?? null, project: d.project ?? '',
      revision: codebase === pinned ? revision : d.revision ?? null,
    }));
    await this.addBuildset({
      sourcestamps,
      reason: this.spec.reason ?? `upstream build ${this.spec.builder} #${b.number} succeeded`,
      properties: { upstream_builder: [this.spec.builder, 'Scheduler'], upstream_build_number: [b.number, 'Scheduler'], upstream_revision: [revision, 'Scheduler'] },
    });
  }
}

/** `schedulers.upstream`: follows the successful builds of a builder on another master. */
export const upstreamKind = schedulerKind({
  factory: (o: UpstreamOptions) => schedulerSpec({ ...o, kind: 'upstream' as const }),
  keys: [...COMMON_KEYS, 'url', 'builder', 'codebase', 'pollInterval', 'auth', 'requestTimeout'],
  check: (c, raw, out) => {
    const url = str(c, raw, 'url', { required: true, nonEmpty: true });
    if (url) { try { const u = new URL(url); if (!/^https?:$/.test(u.protocol)) throw new Error(); } catch { c.add('url', `must be the http(s) URL of the upstream master's web server, e.g. 'http://ci.example.org:8010', got ${JSON.stringify(url)}`); } }
    str(c, raw, 'builder', { required: true, nonEmpty: true });
    optStr(c, raw, 'codebase');
    out.pollInterval = num(c, raw, 'pollInterval', { fallback: 30, min: 0.05 });
    out.requestTimeout = num(c, raw, 'requestTimeout', { fallback: 30, min: 0.1 });
    const a = raw.auth;
    if (a !== undefined && !(isPlainObject(a) && (typeof a.token === 'string' || (typeof a.username === 'string' && typeof a.password === 'string')))) {
      c.add('auth', `must be {username, password} or {token}, got ${describe(a)}`);
    }
  },
  create: (spec, services) => new UpstreamScheduler(spec, services),
});
