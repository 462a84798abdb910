/**
 * GitPoller: watches a remote repository's branches and turns new commits into Changes.
 *
 * Each poll runs `git ls-remote` first and fetches into a private bare clone only the branches whose
 * head moved; new commits are listed oldest first, excluding every commit already seen on any
 * followed branch, and each becomes one Change. The very first poll only records the heads (unless `firstPollChanges` asks for the newest commits; no
 * flood of history). Heads are persisted through the data layer's object state, so a restarted
 * master continues where it stopped. Credentials (an SSH key, an HTTP token, a password in the
 * URL) reach git only through its environment (./git-credentials.ts) and never logs, errors or the
 * database. Git runs through ./git-runner.ts (timeout, output cap, scrubbed errors).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { silentLogger, type Logger } from 'mastro-protocol';
import type { ChangeSourceServices } from '../services.js';
import type { GitPollerSpec } from './options.js';
import { GIT_POLLER_DEFAULTS } from './options.js';
import { redactText, redactUrl, urlSecrets } from '../../util/url-credentials.js';
import { GitCommandError, runGit, type GitRunOptions } from '../git-runner.js';
import { parseCommitLog, COMMIT_LOG_FORMAT, type CommitInfo } from '../git-log.js';
import {
  authorizationHeader, checkPrivateFile, extraHeaderConfig, gitConfigEnv, GitCredentialError, headerSecrets, resolveToken, sshCommand,
} from '../git-credentials.js';
import { ErrorCodes } from '../../errors/catalog.js';

export type { ChangeSourceServices } from '../services.js';

export class GitPollerError extends Error {
  readonly code = ErrorCodes.GIT_POLLER;
  constructor(message: string) { super(message); this.name = 'GitPollerError'; }
}

const CLASS_NAME = 'GitPoller';
const TRACKING_PREFIX = 'refs/mastro/heads/';
/** Revisions per `git log` invocation (keeps command lines short). */
const LOG_BATCH = 200;

export class GitPoller {
  readonly name: string;
  readonly workdir: string;
  private readonly safeUrl: string;
  /** Texts scrubbed from every error: the URL's password and whatever the current token turned into. */
  private secrets: string[];
  private readonly urlSecrets: string[];
  private readonly log: Logger;
  /** How this poll runs git: the credential variables are renewed at each poll (credentialEnv). */
  private git: GitRunOptions;
  private lastRev: Record<string, string> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<number> | null = null;

  constructor(readonly spec: GitPollerSpec, private readonly services: ChangeSourceServices) {
    this.safeUrl = redactUrl(spec.repourl);
    this.urlSecrets = urlSecrets(spec.repourl);
    this.secrets = this.urlSecrets;
    this.name = spec.name ?? this.safeUrl;
    const hash = createHash('sha256').update(this.name).digest('hex').slice(0, 16);
    this.workdir = resolve(services.masterDir, spec.workdir ?? join('gitpoller-work', hash));
    this.log = services.logger ?? silentLogger;
    this.git = {
      gitBin: spec.gitBin ?? GIT_POLLER_DEFAULTS.gitBin,
      cwd: this.workdir,
      timeoutMs: (spec.gitTimeout ?? GIT_POLLER_DEFAULTS.gitTimeout) * 1000,
      maxOutputBytes: spec.gitMaxOutputBytes ?? GIT_POLLER_DEFAULTS.gitMaxOutputBytes,
      secrets: this.secrets,
    };
  }

  /** Starts polling: at once when pollAtLaunch, then every pollInterval seconds after each poll. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.schedule(this.spec.pollAtLaunch ? 0 : this.intervalMs());
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.current) await this.current.catch(() => 0);
  }

  private intervalMs(): number { return (this.spec.pollInterval ?? GIT_POLLER_DEFAULTS.pollInterval) * 1000; }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.poll().catch((err) => this.log.error({ poller: this.name, err: (err as Error).message }, 'git poll failed'))
        .finally(() => { if (this.running) this.schedule(this.intervalMs()); });
    }, ms);
  }

  /** Polls now (one poll at a time; a second call waits for the first). Returns the number of new changes. */
  poll(): Promise<number> {
    if (this.current) return this.current;
    this.current = this.pollOnce().finally(() => { this.current = null; });
    return this.current;
  }

  private async gitIn(args: string[]): Promise<string> {
    try {
      return await runGit(args, this.git);
    } catch (err) {
      const text = redactText(err instanceof GitCommandError ? err.detail : String((err as Error).message ?? err), this.secrets).trim();
      throw new GitPollerError(`git ${args[0]} failed for ${this.safeUrl}: ${text}${authHint(text, this.spec)}`);
    }
  }

  private async ensureClone(): Promise<void> {
    if (existsSync(join(this.workdir, 'HEAD'))) return;
    await mkdir(this.workdir, { recursive: true });
    await this.gitIn(['init', '--bare', '--quiet']);
  }

  /** Remote heads: branch name (without refs/heads/) -> sha. */
  private async remoteHeads(): Promise<Map<string, string>> {
    const out = await this.gitIn(['ls-remote', '--heads', this.spec.repourl]);
    const heads = new Map<string, string>();
    for (const line of out.split('\n')) {
      const m = /^([0-9a-f]{40,64})\s+refs\/heads\/(.+)$/.exec(line.trim());
      if (m) heads.set(m[2]!, m[1]!);
    }
    return heads;
  }

  private selectBranches(heads: Map<string, string>): string[] {
    const b = this.spec.branches ?? GIT_POLLER_DEFAULTS.branches;
    const names = [...heads.keys()];
    if (b === true) return names.sort();
    if (typeof b === 'function') return names.filter((n) => b(`refs/heads/${n}`)).sort();
    return names.filter((n) => b.includes(n)).sort();
  }

  private async loadState(): Promise<Record<string, string> | null> {
    if (this.lastRev) return this.lastRev;
    const stored = await this.services.updates.getState(this.name, CLASS_NAME, 'lastRev', null);
    return stored && typeof stored === 'object' ? (stored as Record<string, string>) : null;
  }

  private async saveState(revs: Record<string, string>): Promise<void> {
    this.lastRev = revs;
    await this.services.updates.setState(this.name, CLASS_NAME, 'lastRev', revs);
  }

  /**
   * The credential variables for this poll's git commands. Resolved each poll: a token in an
   * environment variable or a file may be rotated while the master runs, and a key file may be
   * fixed after an error.
   */
  private async credentialEnv(): Promise<Record<string, string>> {
    const base: Record<string, string> = {};
    const { spec } = this;
    const dir = this.services.masterDir;
    const secrets = [...this.urlSecrets];
    try {
      if (spec.sshPrivateKey || spec.sshKnownHosts || spec.sshStrictHostKeyChecking) {
        const privateKey = spec.sshPrivateKey ? resolve(dir, spec.sshPrivateKey) : undefined;
        if (privateKey) await checkPrivateFile(privateKey, 'sshPrivateKey');
        base.GIT_SSH_COMMAND = sshCommand({
          privateKey, knownHosts: spec.sshKnownHosts ? resolve(dir, spec.sshKnownHosts) : undefined, strictHostKeyChecking: spec.sshStrictHostKeyChecking,
        });
      }
      if (spec.httpToken !== undefined) {
        const token = await resolveToken(spec.httpToken, 'httpToken', { baseDir: dir, getSecret: this.services.getSecret });
        const header = authorizationHeader(token, { auth: spec.httpAuth, username: spec.httpUsername });
        secrets.push(...headerSecrets(header));
        Object.assign(base, gitConfigEnv(extraHeaderConfig(spec.repourl, header), process.env));
      }
    } catch (err) {
      if (err instanceof GitCredentialError) throw new GitPollerError(`git poller ${this.name}: ${redactText(err.message, secrets)}`);
      throw err;
    }
    this.secrets = secrets;
    return base;
  }

  private async pollOnce(): Promise<number> {
    const env = await this.credentialEnv();
    this.git = { ...this.git, env, secrets: this.secrets };
    await this.ensureClone();
    const heads = await this.remoteHeads();
    const branches = this.selectBranches(heads);
    const previous = await this.loadState();
    const current: Record<string, string> = {};
    for (const b of branches) current[b] = heads.get(b)!;

    if (previous === null) {
      // First poll ever: remember where the branches are; history before now is not news, except
      // the newest `firstPollChanges` commits of each branch when the user asked for them.
      const wanted = this.spec.firstPollChanges ?? GIT_POLLER_DEFAULTS.firstPollChanges;
      let added = 0;
      if (wanted > 0 && branches.length) {
        await this.gitIn(['fetch', '--quiet', '--no-tags', this.spec.repourl, ...branches.map((b) => `+refs/heads/${b}:${TRACKING_PREFIX}${b}`)]);
        const seen = new Set<string>();
        for (const branch of branches) {
          const revs = (await this.gitIn(['log', '--format=%H', `--max-count=${wanted}`, current[branch]!, '--'])).split('\n').filter((r) => r && !seen.has(r)).reverse();
          for (const r of revs) seen.add(r);
          added += await this.emitChanges(branch, revs);
        }
      }
      await this.saveState(current);
      this.log.info({ poller: this.name, branches, changes: added }, 'git poller recorded the initial branch heads');
      return added;
    }
    const moved = branches.filter((b) => previous[b] !== current[b]);
    if (!moved.length) {
      if (Object.keys(previous).some((b) => !(b in current))) await this.saveState(current);
      return 0;
    }
    await this.gitIn(['fetch', '--quiet', '--no-tags', this.spec.repourl, ...moved.map((b) => `+refs/heads/${b}:${TRACKING_PREFIX}${b}`)]);

    // Commits already known (on any followed branch) are not news on another branch.
    const known = await this.existingRevs(Object.values(previous));
    const state: Record<string, string> = { ...previous };
    for (const b of Object.keys(state)) if (!(b in current)) delete state[b];
    let added = 0;
    for (const branch of moved) {
      const newRev = current[branch]!;
      const oldRev = previous[branch];
      if (oldRev !== undefined && !known.has(oldRev)) {
        // Our clone lost the old head (workdir wiped): listing "everything not known" would flood.
        this.log.warn({ poller: this.name, branch }, 'previous head is not in the poller clone; recording the new head without changes');
      } else {
        const revs = (await this.gitIn(['log', '--format=%H', '--reverse', newRev, ...[...known].sort().map((r) => `^${r}`), '--'])).split('\n').filter(Boolean);
        added += await this.emitChanges(branch, revs);
        known.add(newRev);
      }
      state[branch] = newRev;
      await this.saveState({ ...state });
    }
    for (const b of branches) state[b] = current[b]!;
    await this.saveState(state);
    if (added) this.log.info({ poller: this.name, changes: added, branches: moved }, 'git poller found new commits');
    return added;
  }

  /** One Change per commit, in the order given (oldest first). Returns how many were added. */
  private async emitChanges(branch: string, revs: string[]): Promise<number> {
    let added = 0;
    for (const commit of await this.commitInfos(revs)) {
      await this.services.updates.addChange({
        author: commit.author, committer: commit.committer, revision: commit.revision, files: commit.files,
        comments: commit.comments, when_timestamp: commit.timestamp, branch,
        project: this.spec.project ?? '', repository: this.safeUrl, category: this.spec.category ?? null,
        codebase: this.spec.codebase ?? '', src: 'git',
      });
      added++;
    }
    return added;
  }

  private async existingRevs(revs: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of new Set(revs)) {
      try { await runGit(['cat-file', '-e', `${r}^{commit}`], this.git); out.add(r); } catch { /* missing */ }
    }
    return out;
  }

  private async commitInfos(revs: string[]): Promise<CommitInfo[]> {
    const infos: CommitInfo[] = [];
    for (let i = 0; i < revs.length; i += LOG_BATCH) {
      const batch = revs.slice(i, i + LOG_BATCH);
      const out = await this.gitIn(['-c', 'core.quotepath=false', 'log', '--no-walk=unsorted', `--format=${COMMIT_LOG_FORMAT}`, '--name-only', ...batch, '--']);
      infos.push(...parseCommitLog(out));
    }
    return infos;
  }
}

/** What to check when the server refused us (git's own text says only that it could not authenticate). */
function authHint(text: string, spec: GitPollerSpec): string {
  if (/\b(401|403)\b|Authentication failed|could not read (Username|Password)|terminal prompts disabled/i.test(text)) {
    return spec.httpToken !== undefined
      ? ' (the server refused the credentials: check that httpToken is valid and has read access, and httpAuth/httpUsername)'
      : ' (the server asks for credentials: set httpToken, e.g. { env: \'GITHUB_TOKEN\' })';
  }
  if (/Permission denied \(publickey|Host key verification failed|no matching host key/i.test(text)) {
    return ' (ssh refused: check sshPrivateKey, and sshKnownHosts or sshStrictHostKeyChecking for the host key)';
  }
  return '';
}
