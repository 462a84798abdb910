/**
 * Gerrit as a change source. Gerrit's events (`gerrit stream-events` over SSH, or the same JSON
 * posted by its webhooks plugin) become Changes with Buildbot's mapping: patchset-created ->
 * branch `refs/changes/..`, revision of the patch set, category = event type, properties
 * `event.*` (the flattened event), `event.source` and `target_branch`; ref-updated -> the pushed
 * branch at newRev. The stream source runs the configured command (default `ssh -p 29418
 * user@host gerrit stream-events`) and restarts it with exponential backoff when it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddChangeInput, Updates } from '../../data/updates-api.js';
import { silentLogger, type Logger } from 'mastro-protocol';
import type { GerritStreamOptions } from './options.js';

export interface GerritMappingOptions {
  /** Repository URLs are `<gitBaseURL>/<project>`. Default for the stream: `ssh://user@host:port`; for the webhook: the origin of the change URL. */
  gitBaseURL?: string;
  /** Event types that make Changes. Default Buildbot's ['patchset-created', 'ref-updated']. */
  handledEvents?: string[];
  /** Value of the `event.source` property. */
  source?: string;
}

export const GERRIT_DEFAULT_EVENTS = ['patchset-created', 'ref-updated'];

function gerritUser(p: any, fallback = 'unknown'): string {
  if (!p || typeof p !== 'object') return fallback;
  let name: string = p.name ?? p.username ?? fallback;
  if (p.email) name += ` <${p.email}>`;
  return name;
}

/** Buildbot's flattening of an event into `event.*` properties (nested objects joined with dots). */
function eventProperties(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (base: string, obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = `${base}.${k}`;
      if (name === 'event.eventCreatedOn') continue;
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(name, v as Record<string, unknown>);
      else out[name] = v;
    }
  };
  walk('event', event);
  return out;
}

function baseUrlFor(o: GerritMappingOptions, event: any): string {
  if (o.gitBaseURL !== undefined) return o.gitBaseURL.replace(/\/+$/, '');
  try { return new URL(event?.change?.url).origin; } catch { return ''; }
}

/** The Change an event stands for, or a sentence saying why there is none. */
export function gerritEventToChange(event: any, o: GerritMappingOptions = {}): AddChangeInput | string {
  if (!event || typeof event !== 'object' || typeof event.type !== 'string') return 'not a Gerrit event (no type)';
  const handled = o.handledEvents ?? GERRIT_DEFAULT_EVENTS;
  if (!handled.includes(event.type)) return `event type ${event.type} is not handled`;
  const properties: Record<string, unknown> = { ...eventProperties(event), 'event.source': o.source ?? 'GerritChangeSource' };
  const base = baseUrlFor(o, event);
  const repo = (project: string) => (base ? `${base}/${project}` : project);
  if (event.type === 'ref-updated') {
    const ref = event.refUpdate;
    if (!ref) return 'ref-updated event without refUpdate';
    // A push for review also updates refs/changes/..; patchset-created reports it with more detail.
    if (handled.includes('patchset-created') && String(ref.refName).startsWith('refs/changes/')) return 'ref-updated of a review ref (reported by patchset-created)';
    if (/^0+$/.test(ref.newRev ?? '')) return `ref ${ref.refName} deleted`;
    return {
      author: gerritUser(event.submitter, 'gerrit'), project: ref.project, repository: repo(ref.project),
      branch: String(ref.refName).replace(/^refs\/heads\//, ''), revision: ref.newRev,
      comments: 'Gerrit: commit(s) pushed.', files: ['unknown'], category: event.type, properties, src: 'git',
    };
  }
  if (!event.change || !event.patchSet) return `event ${event.type} has no change or patchSet`;
  const change = event.change;
  const project = change.project && typeof change.project === 'object' ? change.project.name : change.project;
  if (typeof project !== 'string' || !project) return `event ${event.type} names no project`;
  if (event.type === 'patchset-created' || event.type === 'comment-added') properties.target_branch = change.branch;
  return {
    author: gerritUser(change.owner), project, repository: repo(project),
    branch: event.type === 'patchset-created' || event.type === 'comment-added' ? event.patchSet.ref : change.branch,
    revision: event.patchSet.revision, revlink: change.url ?? null, comments: change.subject ?? '',
    files: ['unknown'], category: event.type, properties, src: 'git',
    when_timestamp: typeof event.eventCreatedOn === 'number' ? event.eventCreatedOn : undefined,
  };
}

// ---- the stream-events change source (its options: options.ts) ----

export interface GerritStreamServices {
  updates: Pick<Updates, 'addChange'>;
  logger?: Logger;
}

export interface GerritStreamStatus { connected: boolean; connects: number; events: number; changes: number; lastEventAt: number | null; lastExit: string | null; nextRetryInMs: number | null }

export class GerritStreamSource {
  readonly name: string;
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private stopped = true;
  private queue: Promise<void> = Promise.resolve();
  private readonly st: GerritStreamStatus = { connected: false, connects: 0, events: 0, changes: 0, lastEventAt: null, lastExit: null, nextRetryInMs: null };
  private readonly log: NonNullable<GerritStreamServices['logger']>;
  private readonly argv: string[];

  constructor(private readonly o: GerritStreamOptions, private readonly services: GerritStreamServices) {
    const port = o.port ?? 29418;
    if (!o.command && !(o.server && o.username)) throw new Error('gerritStream: give server and username (or command)');
    this.name = o.name ?? `gerrit:${o.username ?? ''}@${o.server ?? 'command'}:${port}`;
    this.argv = o.command ?? ['ssh', '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=15', ...(o.identityFile ? ['-i', o.identityFile] : []), '-p', String(port), `${o.username}@${o.server}`, 'gerrit', 'stream-events'];
    this.backoffMs = (o.backoffMin ?? 0.5) * 1000;
    this.log = services.logger ?? silentLogger;
  }

  private mapping(): GerritMappingOptions {
    const gitBaseURL = this.o.gitBaseURL ?? (this.o.server ? `ssh://${this.o.username}@${this.o.server}:${this.o.port ?? 29418}` : undefined);
    return { gitBaseURL, handledEvents: this.o.handledEvents, source: this.o.source ?? 'GerritChangeSource' };
  }

  async start(): Promise<void> { this.stopped = false; this.connect(); }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('close', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
    await this.queue;
  }

  status(): GerritStreamStatus { return { ...this.st }; }

  private connect(): void {
    if (this.stopped) return;
    const [cmd, ...args] = this.argv;
    const startedAt = Date.now();
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.st.connects++;
    this.st.connected = true;
    this.st.nextRetryInMs = null;
    const max = this.o.maxLineBytes ?? 4 * 1024 * 1024;
    let pending = '';
    let dropping = false;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (dropping) { dropping = false; continue; }
        if (line.trim()) this.enqueue(line);
      }
      if (pending.length > max) { this.log.warn({ source: this.name, bytes: pending.length }, 'gerrit event line exceeds maxLineBytes; dropped'); pending = ''; dropping = true; }
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-2000); });
    child.on('error', (err) => this.log.error({ source: this.name, err: err.message }, `cannot run ${cmd}`));
    child.on('close', (code, signal) => {
      this.st.connected = false;
      this.child = null;
      this.st.lastExit = `${signal ? `signal ${signal}` : `exit code ${code}`}${stderr.trim() ? `: ${stderr.trim().slice(-300)}` : ''}`;
      if (this.stopped) return;
      if (Date.now() - startedAt >= (this.o.goodConnectionTime ?? 120) * 1000) this.backoffMs = (this.o.backoffMin ?? 0.5) * 1000;
      const wait = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 1.5, (this.o.backoffMax ?? 60) * 1000);
      this.st.nextRetryInMs = wait;
      this.log.warn({ source: this.name, exit: this.st.lastExit, retryInMs: wait }, 'gerrit stream-events ended; reconnecting');
      this.timer = setTimeout(() => this.connect(), wait);
    });
  }

  /** Events are recorded one at a time, in stream order. */
  private enqueue(line: string): void {
    this.queue = this.queue.then(async () => {
      let event: unknown;
      try { event = JSON.parse(line); } catch { this.log.warn({ source: this.name, line: line.slice(0, 200) }, 'gerrit sent a line that is not JSON; skipped'); return; }
      this.st.events++;
      this.st.lastEventAt = Date.now() / 1000;
      // An event of an unexpected shape must cost that event only: a throw here would reject the
      // queue, an unhandled rejection that ends the master, and every later event would be lost.
      let change: ReturnType<typeof gerritEventToChange>;
      try { change = gerritEventToChange(event, this.mapping()); } catch (err) {
        this.log.warn({ source: this.name, err: (err as Error).message, line: line.slice(0, 200) }, 'gerrit sent an event that cannot be turned into a change; skipped');
        return;
      }
      if (typeof change === 'string') return;
      try {
        await this.services.updates.addChange(change);
        this.st.changes++;
      } catch (err) {
        this.log.error({ source: this.name, err: (err as Error).message }, 'could not record a Gerrit change');
      }
    });
  }
}

export function createGerritStreamSource(spec: GerritStreamOptions, services: GerritStreamServices): GerritStreamSource {
  return new GerritStreamSource(spec, services);
}
