/**
 * The mirror poller: keeps bare mirrors of many repositories whose heads move independently and,
 * each cycle, turns ref movements into Changes (as the git poller does) and, optionally, into a run
 * of a post-receive style hook script. A quiet repository costs one `git ls-remote`; one failing
 * repository is recorded in the status and does not stop the cycle.
 */
import { resolve } from 'node:path';
import type { AddChangeInput } from '../../data/updates-api.js';
import { silentLogger, type Logger } from 'mastro-protocol';
import type { ChangeSourceServices } from '../services.js';
import { redactText, redactUrl } from '../../util/url-credentials.js';
import { newCommits } from './commits.js';
import { explicitRepositories, forgeRepositories, globRepositories, type MirrorRepository } from './discovery.js';
import { runHook } from './hook-runner.js';
import { fetchMirror, initMirror, localGit, mirrorExists, mirrorPath, remoteRefs, type GitSettings } from './mirror-repo.js';
import { resolveMirrorOptions, type MirrorPollerOptions, type ResolvedMirrorOptions } from './options.js';
import { mapBounded } from './pool.js';
import { diffRefs, fromRecord, postReceiveInput, refspecMatcher, sameRefs, toRecord, ZERO_ID, type RefMap, type RefUpdate } from './refs.js';
import type { MirrorCycleStatus, MirrorPollerStatus, MirrorRepoStatus } from './status.js';

export interface MirrorPollerServices extends Pick<ChangeSourceServices, 'updates' | 'logger'> {
  /** Relative paths (mirrorDir, glob) are resolved against it. */
  masterDir: string;
  /** HTTP client for forge discovery (tests may pass their own). */
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

/** What one repository's poll did. */
export interface RepoPollResult { name: string; updates: RefUpdate[]; changes: number; hookRan: boolean; firstSeen: boolean }

const STATE_CLASS = 'MirrorPoller';

export class MirrorPoller {
  readonly name: string;
  private readonly o: ResolvedMirrorOptions;
  private readonly log: Logger;
  private readonly keepRef: (ref: string) => boolean;
  private readonly git: GitSettings;
  private readonly mirrorDir: string;
  private readonly known = new Map<string, Map<string, string>>();
  private readonly repoStatus = new Map<string, MirrorRepoStatus>();
  private repos: MirrorRepository[] = [];
  private discoveredAt = -Infinity;
  private discoveryError: string | null = null;
  private lastCycle: MirrorCycleStatus | null = null;
  private running: Promise<MirrorCycleStatus> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(options: MirrorPollerOptions, private readonly services: MirrorPollerServices) {
    this.o = resolveMirrorOptions(options);
    this.name = this.o.name;
    this.log = services.logger ?? silentLogger;
    this.keepRef = refspecMatcher(this.o.refspecs);
    this.git = { gitBin: this.o.gitBin, timeoutMs: this.o.gitTimeout * 1000, maxOutputBytes: this.o.gitMaxOutputBytes };
    this.mirrorDir = resolve(services.masterDir, this.o.mirrorDir ?? `mirrors/${this.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.o.pollAtLaunch) this.cycleThenSchedule();
    else this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** Runs one cycle now; a call during a running cycle waits for that cycle. */
  poll(): Promise<MirrorCycleStatus> {
    this.running ??= this.cycle().finally(() => { this.running = null; });
    return this.running;
  }

  status(): MirrorPollerStatus {
    return {
      name: this.name,
      running: this.running !== null,
      lastCycle: this.lastCycle && { ...this.lastCycle },
      discoveryError: this.discoveryError,
      repositories: this.repos.map((r) => ({ ...(this.repoStatus.get(r.name) ?? this.blankStatus(r)) })),
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.cycleThenSchedule(), this.o.pollInterval * 1000);
    this.timer.unref?.();
  }

  private cycleThenSchedule(): void {
    this.poll().catch((err) => this.log.error({ poller: this.name, err: redactText(String(err)) }, 'mirror poll cycle failed')).finally(() => this.schedule());
  }

  private now(): number { return this.services.now?.() ?? Date.now(); }

  private async cycle(): Promise<MirrorCycleStatus> {
    const started = this.now();
    await this.discover();
    const results = await mapBounded(this.repos, this.o.concurrency, (r) => this.pollRepo(r));
    let moved = 0, changes = 0, hookRuns = 0, errors = 0;
    results.forEach((res, i) => {
      const repo = this.repos[i]!;
      const st = this.repoStatus.get(repo.name) ?? this.blankStatus(repo);
      st.lastPolledAt = this.now() / 1000;
      if (res.status === 'fulfilled') {
        st.consecutiveFailures = 0;
        if (res.value.updates.length || res.value.firstSeen) { moved++; st.lastMovedAt = st.lastPolledAt; }
        changes += res.value.changes;
        if (res.value.hookRan) hookRuns++;
        st.refs = this.known.get(repo.name)?.size ?? 0;
      } else {
        errors++;
        st.consecutiveFailures++;
        st.lastError = redactText(res.reason instanceof Error ? res.reason.message : String(res.reason));
        st.lastErrorAt = st.lastPolledAt;
        this.log.warn({ poller: this.name, repository: repo.name, err: st.lastError }, 'mirror poll of a repository failed; the cycle goes on');
      }
      this.repoStatus.set(repo.name, st);
    });
    const finished = this.now();
    this.lastCycle = { startedAt: started / 1000, finishedAt: finished / 1000, durationMs: finished - started, repositories: this.repos.length, moved, changes, hookRuns, errors };
    this.log.info({ poller: this.name, ...this.lastCycle }, 'mirror poll cycle done');
    return this.lastCycle;
  }

  private blankStatus(r: MirrorRepository): MirrorRepoStatus {
    return { name: r.name, url: redactUrl(r.url), lastPolledAt: null, lastMovedAt: null, lastError: null, lastErrorAt: null, consecutiveFailures: 0, refs: 0 };
  }

  /** Refreshes the repository list when due; a failed discovery keeps the previous list. */
  private async discover(): Promise<void> {
    const due = this.now() - this.discoveredAt >= this.o.discoveryInterval * 1000;
    if (!due && this.repos.length) return;
    const list: MirrorRepository[] = explicitRepositories(this.o.repositories ?? []);
    try {
      if (this.o.glob) list.push(...(await globRepositories(this.o.glob, this.services.masterDir)));
      if (this.o.forge) list.push(...(await forgeRepositories(this.o.forge, this.services.fetch)));
      this.discoveryError = null;
      this.discoveredAt = this.now();
    } catch (err) {
      this.discoveryError = redactText(err instanceof Error ? err.message : String(err), this.o.forge?.token ? [this.o.forge.token] : []);
      this.log.error({ poller: this.name, err: this.discoveryError }, 'mirror poller could not list repositories; keeping the previous list');
      if (this.repos.length) return;
    }
    const seen = new Set<string>();
    this.repos = list.filter((r) => {
      if (seen.has(r.name)) {
        this.log.warn({ poller: this.name, repository: r.name, url: redactUrl(r.url) }, 'two repositories share this name; the second is skipped (give it a distinct `name`)');
        return false;
      }
      seen.add(r.name);
      return true;
    });
  }

  private async knownRefs(repo: MirrorRepository): Promise<Map<string, string> | null> {
    const cached = this.known.get(repo.name);
    if (cached) return cached;
    const stored = fromRecord(await this.services.updates.getState(this.name, STATE_CLASS, `refs:${repo.name}`, null));
    if (stored) this.known.set(repo.name, stored);
    return stored;
  }

  private async remember(repo: MirrorRepository, refs: Map<string, string>): Promise<void> {
    await this.services.updates.setState(this.name, STATE_CLASS, `refs:${repo.name}`, toRecord(refs));
    this.known.set(repo.name, refs);
  }

  /** One repository: skip when nothing moved, else fetch, emit Changes, run the hook, remember. */
  async pollRepo(repo: MirrorRepository): Promise<RepoPollResult> {
    const path = mirrorPath(this.mirrorDir, repo.name);
    const known = await this.knownRefs(repo);
    const exists = await mirrorExists(path);
    if (known && exists) {
      const upstream = await remoteRefs(repo, this.keepRef, this.git);
      if (sameRefs(known, upstream)) return { name: repo.name, updates: [], changes: 0, hookRan: false, firstSeen: false };
    }
    if (!exists) await initMirror(path, repo, this.o.refspecs, this.git);
    const after = await fetchMirror(path, repo, this.keepRef, this.git);
    if (!known) {
      // First sight: record the heads without turning the whole history into Changes.
      await this.remember(repo, after);
      this.log.info({ poller: this.name, repository: repo.name, refs: after.size }, 'mirrored a new repository; heads recorded');
      return { name: repo.name, updates: [], changes: 0, hookRan: false, firstSeen: true };
    }
    const updates = diffRefs(known, after);
    if (!updates.length) { await this.remember(repo, after); return { name: repo.name, updates, changes: 0, hookRan: false, firstSeen: false }; }
    const changes = this.o.emitChanges ? await this.emitChanges(repo, path, known, updates) : 0;
    let hookRan = false;
    let hookError: unknown = null;
    if (this.o.hook) {
      // The hook is not retried: the refs are remembered either way, so it never sees an update twice.
      try {
        await runHook({
          command: this.o.hook.command, cwd: path, stdin: postReceiveInput(updates), timeoutMs: (this.o.hook.timeout ?? 300) * 1000,
          env: { MASTRO_MIRROR_NAME: repo.name, MASTRO_MIRROR_URL: redactUrl(repo.url), ...this.o.hook.env },
        });
        hookRan = true;
      } catch (err) { hookError = err; }
    }
    await this.remember(repo, after);
    this.log.info({ poller: this.name, repository: repo.name, updates: updates.length, changes }, 'mirror refs moved');
    if (hookError) throw hookError;
    return { name: repo.name, updates, changes, hookRan, firstSeen: false };
  }

  private tracksBranch(ref: string): boolean {
    if (!ref.startsWith('refs/heads/')) return false;
    const b = this.o.branches ?? true;
    if (b === true) return true;
    if (typeof b === 'function') return b(ref);
    return b.includes(ref.slice('refs/heads/'.length));
  }

  /** Changes for the new commits of each tracked branch, in update order, like Buildbot's git poller. */
  private async emitChanges(repo: MirrorRepository, path: string, before: RefMap, updates: readonly RefUpdate[]): Promise<number> {
    const heads = new Set<string>();
    for (const [ref, sha] of before) if (this.tracksBranch(ref)) heads.add(sha);
    const git = localGit(path, this.git);
    const project = typeof this.o.project === 'function' ? this.o.project(repo.name) : this.o.project ?? repo.name;
    const codebase = typeof this.o.codebase === 'function' ? this.o.codebase(repo.name) : this.o.codebase ?? '';
    let count = 0;
    for (const u of updates) {
      if (!this.tracksBranch(u.ref) || /^0+$/.test(u.newSha)) continue;
      let commits = await newCommits(u.newSha, heads, this.o.maxChangesPerRef, git);
      if (!commits.length && this.o.buildPushesWithNoCommits) commits = await newCommits(u.newSha, [], 1, git);
      heads.add(u.newSha);
      if (u.oldSha !== ZERO_ID && !/^0+$/.test(u.oldSha)) heads.add(u.oldSha);
      for (const c of commits) {
        const change: AddChangeInput = {
          author: c.author, committer: c.committer, revision: c.revision, files: c.files, comments: c.comments,
          when_timestamp: c.when, branch: u.ref.slice('refs/heads/'.length), project, codebase,
          repository: redactUrl(repo.url), category: this.o.category ?? null, src: 'git',
          revlink: repo.revlink ? repo.revlink.replace('{rev}', c.revision) : null,
        };
        await this.services.updates.addChange(change);
        count++;
      }
    }
    return count;
  }
}

/** The factory the change-source registry calls for `{ kind: 'mirrorPoller' }` specs. */
export function createMirrorPoller(spec: MirrorPollerOptions, services: MirrorPollerServices): MirrorPoller {
  return new MirrorPoller(spec, services);
}
