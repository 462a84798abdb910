/**
 * The try scheduler (`schedulers.tryUserpass`): a port of its own where developers submit a patch
 * against a base revision, over HTTP (`mastro try`: users checked with HTTP Basic against
 * `userpass` in constant time, the request size bounded) and over PB (Buildbot's own `buildbot try
 * --connect=pb`, logging in as a `userpass` user: try-pb.ts). The first bytes of a connection tell
 * the two apart, as on the worker port. A port equal to the worker PB port takes the PB logins
 * there, as Buildbot's pbmanager does (`mastro try` then needs a port of its own). Each accepted
 * job becomes a buildset whose SourceStamp carries the patch; the git step checks out the base and
 * applies it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pb } from 'mastro-protocol';
import { safeEqual } from '../util/safe-equal.js';
import { TryBaseScheduler, TryJobError, isCommitId, type TryJobSourceStamp } from './try-base.js';
import { tryPerspective, type TryPbBackend } from './try-pb.js';
import type { PbHost, PbRegistration } from '../workers/pb/pb-host.js';
import type { PbUser } from '../workers/pb/pb-login.js';
import { TRY_DEFAULT_MAX_REQUEST_BYTES, type TryRequest, type TryStatus, type TrySubmitted } from './try-protocol.js';
import type { CommonSchedulerOptions } from './specs.js';
import { describe, num, optStr } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { TRY_COMMON_KEYS } from './checks.js';

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export interface TryUserpassOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'unchangedCodebases'> {
  /**
   * TCP port of the try endpoint: `mastro try --master http://host:PORT` (HTTP) and Buildbot's
   * `buildbot try --connect=pb --master host:PORT` (PB) on the same port. The worker PB port takes
   * the PB logins there (as Buildbot's pbmanager does; `mastro try` then needs a port of its own).
   * 0 picks a free port (logged).
   */
  port: number;
  /** Interface to listen on. Default '127.0.0.1'; use '0.0.0.0' to accept developers' machines. */
  host?: string;
  /** Accepted [username, password] pairs (HTTP Basic for `mastro try`, the PB login for `buildbot try`). */
  userpass: Array<[string, string]>;
  /** Largest accepted request (patch included), bytes. Default 10 MiB. */
  maxRequestBytes?: number;
}

export class TryScheduler extends TryBaseScheduler<TryUserpassOptions> {
  protected readonly buildbotClass = 'Try_Userpass';
  protected override readonly reasonShowsComment = true;
  private server: Server | null = null;
  /** The PB logins of its users, with the HTTP server on the same port when it has one. */
  private registration: PbRegistration | null = null;
  private readonly builderNameById = new Map<number, string>();

  /** The port the endpoint listens on (after start). */
  get port(): number | null { return this.registration?.port ?? (this.server?.address() as AddressInfo | null)?.port ?? null; }

  protected async activate(): Promise<void> {
    const ids = await this.builderIdsFor(this.spec.builderNames);
    this.spec.builderNames.forEach((n, i) => { this.builderNameById.set(ids[i]!, n); });
    const server = createServer((req, res) => { void this.handle(req, res); });
    server.requestTimeout = 60_000;
    const host = this.services.pb;
    if (host) { await this.activateWithPb(host, server); return; }
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`try scheduler '${this.name}' cannot listen on ${this.spec.host ?? '127.0.0.1'}:${this.spec.port}: ${err.message}; choose another port`)));
      server.listen(this.spec.port, this.spec.host ?? '127.0.0.1', () => resolve());
    });
    // The listen error handler is spent; a later server error is logged instead of ending the master.
    server.removeAllListeners('error');
    server.on('error', (err) => this.log.error({ err, scheduler: this.name }, 'try scheduler endpoint error'));
    this.server = server;
    this.log.info({ scheduler: this.name, port: this.port }, 'try scheduler listening');
  }

  /** Users log in over PB on the scheduler's port (beside its HTTP server), or on the worker PB port when that is its port. */
  private async activateWithPb(host: PbHost, server: Server): Promise<void> {
    const users = this.spec.userpass.map(([user, password]): readonly [string, PbUser] => [user, {
      digest: pb.md5Digest(password),
      perspective: (_mind, broker) => tryPerspective(this.pbBackend(), user, broker),
    }]);
    const owner = `try scheduler '${this.name}'`;
    if (this.spec.port !== 0 && this.spec.port === host.workerPort) {
      this.registration = await host.register({ owner, port: null, users });
      this.log.info({ scheduler: this.name, port: this.registration.port }, 'try scheduler takes buildbot try --connect=pb on the worker PB port; mastro try over HTTP needs a port of its own');
      return;
    }
    server.on('error', (err) => this.log.error({ err, scheduler: this.name }, 'try scheduler endpoint error'));
    this.registration = await host.register({ owner, port: this.spec.port, host: this.spec.host ?? '127.0.0.1', users, http: server });
    this.server = server;
    this.log.info({ scheduler: this.name, port: this.port }, 'try scheduler listening (mastro try over HTTP, buildbot try --connect=pb over PB)');
  }

  private pbBackend(): TryPbBackend {
    const reads = this.services.reads;
    return {
      schedulerName: this.name,
      builderNames: this.spec.builderNames,
      submit: async (job) => {
        if (!this.active) throw new TryJobError(`try scheduler '${this.name}' is not running`);
        return this.addTryBuildset(job);
      },
      builderName: (id) => this.builderNameById.get(id) ?? String(id),
      mq: this.services.mq,
      getBuild: async (id) => reads?.getBuild?.(id),
      buildsOfRequest: async (brid) => (await reads?.getList?.(['buildrequests', brid, 'builds'])) ?? [],
      log: this.log,
    };
  }

  protected override async deactivate(): Promise<void> {
    const registration = this.registration;
    this.registration = null;
    const s = this.server;
    this.server = null;
    if (registration) { await registration.unregister(); return; }
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private authorise(req: IncomingMessage): string {
    const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new HttpError(401, 'authentication required: give --username and --password (HTTP Basic)');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon < 0 ? undefined : colon);
    const pass = colon < 0 ? '' : decoded.slice(colon + 1);
    let ok = false;
    for (const [u, p] of this.spec.userpass) ok = (safeEqual(u, user) && safeEqual(p, pass)) || ok;
    if (!ok) throw new HttpError(401, 'wrong username or password for this try scheduler');
    return user;
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const limit = this.spec.maxRequestBytes ?? TRY_DEFAULT_MAX_REQUEST_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HttpError(413, `try request larger than ${limit} bytes; send a smaller patch or raise maxRequestBytes of scheduler '${this.name}'`);
      chunks.push(chunk as Buffer);
    }
    try { return JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { throw new HttpError(400, 'the body is not JSON'); }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const user = this.authorise(req);
      let url: URL;
      try { url = new URL(req.url ?? '/', 'http://try'); } catch { throw new HttpError(400, `not a valid request target: ${JSON.stringify(req.url)} (POST /try, GET /try/buildsets/ID)`); }
      const status = /^\/try\/buildsets\/(\d+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/try') {
        send(201, await this.submit(user, (await this.readBody(req)) as TryRequest));
      } else if (req.method === 'GET' && status) {
        send(200, await this.status(Number(status[1])));
      } else throw new HttpError(404, `no such try endpoint: ${req.method} ${url.pathname} (POST /try, GET /try/buildsets/ID)`);
    } catch (err) {
      if (err instanceof HttpError) { if (err.status === 413) res.setHeader('connection', 'close'); send(err.status, { error: err.message }); return; }
      this.log.error({ err, scheduler: this.name }, 'try request failed');
      send(500, { error: `the master failed to handle the try request: ${(err as Error).message}` });
    }
  }

  /** Checks a job and adds its buildset; every mistake is a 400 that names the field. */
  async submit(user: string, job: TryRequest): Promise<TrySubmitted> {
    if (!this.active) throw new HttpError(503, `try scheduler '${this.name}' is not running`);
    if (!job || typeof job !== 'object' || !Array.isArray(job.sourcestamps) || !job.sourcestamps.length) throw new HttpError(400, 'sourcestamps: give at least one {revision, patch: {level, body}}');
    const sourcestamps: TryJobSourceStamp[] = job.sourcestamps.map((ss, i) => {
      if (typeof ss?.revision !== 'string' || !isCommitId(ss.revision)) throw new HttpError(400, `sourcestamps[${i}].revision: the base revision must be a commit id, got ${JSON.stringify(ss?.revision)}`);
      if (!ss.patch || typeof ss.patch.body !== 'string') throw new HttpError(400, `sourcestamps[${i}].patch.body: the diff (base64) is missing`);
      const level = ss.patch.level ?? 1;
      if (!Number.isInteger(level) || level < 0) throw new HttpError(400, `sourcestamps[${i}].patch.level: must be a non-negative integer`);
      return { ...ss, patch: { level, body: Buffer.from(ss.patch.body, 'base64'), subdir: ss.patch.subdir ?? null } };
    });
    try {
      const { bsid, builderNames } = await this.addTryBuildset({ who: job.who ?? user, comment: job.comment, builderNames: job.builderNames, properties: job.properties, sourcestamps });
      return { bsid, builderNames };
    } catch (err) {
      if (err instanceof TryJobError) throw new HttpError(400, err.message);
      throw err;
    }
  }

  async status(bsid: number): Promise<TryStatus> {
    const bs = await this.services.reads?.getBuildset?.(bsid);
    if (!bs) throw new HttpError(404, `buildset ${bsid} does not exist`);
    const requests = (await this.services.reads?.getBuildRequestsForBuildset?.(bsid)) ?? [];
    return {
      bsid, complete: bs.complete, results: bs.results,
      requests: requests.map((r) => ({ buildrequestid: r.id, builderName: this.builderNameById.get(r.builderid) ?? String(r.builderid), complete: r.complete, results: r.results })),
    };
  }
}

/** `schedulers.tryUserpass` (and its alias `schedulers.try`): try jobs over HTTP with user/password. */
export const tryUserpassKind = schedulerKind({
  factory: (o: TryUserpassOptions) => schedulerSpec({ ...o, kind: 'tryUserpass' as const }),
  keys: [...TRY_COMMON_KEYS, 'overlap', 'concurrencyGroup', 'port', 'host', 'userpass', 'maxRequestBytes'],
  check: (c, raw, out) => {
    out.port = num(c, raw, 'port', { fallback: 0, min: 0, integer: true, required: true });
    optStr(c, raw, 'host');
    const up = raw.userpass;
    if (!Array.isArray(up) || !up.length || !up.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string' && x.length > 0))) {
      c.add('userpass', `must be a non-empty list of [username, password] pairs, got ${describe(up)}`);
    }
    if (raw.maxRequestBytes !== undefined) num(c, raw, 'maxRequestBytes', { fallback: 0, min: 1024, integer: true });
  },
  create: (spec, services) => new TryScheduler(spec, services),
});
