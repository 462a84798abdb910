/**
 * Control actions on resources, shared by REST (JSON-RPC POST to the resource path) and /ws
 * (`{"cmd":"control", ...}`). Each endpoint resolves its target, checks authorization against the
 * target's builders and branches, then calls the engine. Methods and params follow Buildbot 3.7's
 * data/*.py `control()` methods:
 *
 * | path                                             | method       | params                       | action  |
 * |--------------------------------------------------|--------------|------------------------------|---------|
 * | forceschedulers/<name>                           | force        | builderid?, owner?, fields   | force   |
 * | builds/<id>, builders/<bid>/builds/<number>       | stop         | reason?                      | stop    |
 * |                                                  | rebuild      | reason?                      | rebuild |
 * | buildrequests/<id>                               | cancel       | reason?                      | cancel  |
 * |                                                  | set_priority | priority                     | cancel  |
 * | workers/<id or name>                             | pause/unpause| reason?                      | admin   |
 * |                                                  | stop (graceful shutdown), kill | reason?    | admin   |
 * | masters/<id> (mastro)                            | stop (graceful), reconfig |                 | admin   |
 */
import { silentLogger, type Logger } from 'mastro-protocol';
import type { DataConnector } from '../../data/connector.js';
import { ForceParamError, ForceSchedulerInactiveError } from '../../schedulers/force-params.js';
import { DataError, outageMessage } from '../../data/errors.js';
import type { Identity } from '../auth/identity.js';
import { AuthzDenied, type Authz, type AuthzAction, type AuthzTarget } from '../authz/rules.js';
import { JSONRPC_CODES, JsonRpcError, rpcErrors } from './jsonrpc.js';
import type { MasterControl, ForceSchedulerLike } from '../../process/master-control.js';

type Handler = (p: Record<string, unknown>, ctx: CallContext) => Promise<unknown>;
/** What an authorized caller reads when an action fails inside the master: the details are in the log. */
export const CONTROL_INTERNAL_ERROR = 'the action failed because of an error inside the master; the master log has the details';
interface CallContext { identity: Identity; check(action: AuthzAction, target?: AuthzTarget): void }

const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v ? v : fallback);

export class ControlActions {
  /** `authz` is asked for the rules at each call: a reconfig replaces them (see security.ts). */
  constructor(
    private readonly data: DataConnector,
    private readonly target: MasterControl | null,
    private readonly authz: () => Authz,
    /** Where failures that are not the caller's doing are written (pino's `app.log` in the server). */
    private readonly log: Pick<Logger, 'error'> = silentLogger,
  ) {}

  /** Runs `method` on the resource at `path`; throws JsonRpcError (with an HTTP status) on failure. */
  async call(path: readonly string[], method: string, params: Record<string, unknown>, identity: Identity): Promise<unknown> {
    const target = this.target;
    if (!target) throw rpcErrors.noSuchMethod('control actions are not available: this server runs without an engine');
    const ctx: CallContext = { identity, check: (action, t) => this.authz().assert(identity, action, t) };
    try {
      const methods = await this.resolve(path, target);
      const handler = methods[method];
      if (!handler) throw rpcErrors.noSuchMethod(`'${method}' is not an action of ${path.join('/')}; actions: ${Object.keys(methods).join(', ')}`);
      return await handler(params, ctx);
    } catch (err) {
      // Someone who may not view must not learn from the answer which builds, requests, workers or
      // force schedulers exist (a 404 names them, a refusal confirms them): they get the refusal a read would get.
      const hidden = (err instanceof JsonRpcError && err.status === 404) || err instanceof AuthzDenied;
      if (hidden && !this.authz().allows(identity, 'view')) {
        const denied = new AuthzDenied('view', identity);
        throw rpcErrors.forbidden(denied.status, denied.message);
      }
      if (err instanceof JsonRpcError) throw err;
      if (err instanceof AuthzDenied) throw rpcErrors.forbidden(err.status, err.message);
      if (err instanceof ForceParamError) throw rpcErrors.invalidParams(err.message, err.errors);
      if (err instanceof ForceSchedulerInactiveError) throw rpcErrors.conflict(err.message);
      if (err instanceof DataError) throw new JsonRpcError(err.status, err.status === 404 ? -32600 : -32602, err.message);
      // The database is down or its disk full: nothing is wrong with the call, it may be sent again later.
      const unavailable = outageMessage(err);
      if (unavailable) throw new JsonRpcError(503, JSONRPC_CODES.internal_error, unavailable);
      // Anything else was not raised for the caller: its text may name files, tables or hosts, so
      // it goes to the log and the caller gets a pointer there.
      this.log.error({ err, path: path.join('/'), method, user: identity.username ?? null }, 'control action failed');
      throw rpcErrors.internal(CONTROL_INTERNAL_ERROR);
    }
  }

  private async resolve(path: readonly string[], t: MasterControl): Promise<Record<string, Handler>> {
    const [kind, a, b, c] = path;
    const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
    if (kind === 'forceschedulers' && a && path.length === 2) return this.forceMethods(this.forceScheduler(t, a), t);
    if (kind === 'builds' && path.length === 2 && num(a) !== undefined) return this.buildMethods(num(a)!, t);
    if (kind === 'builders' && b === 'builds' && path.length === 4 && num(c) !== undefined) {
      const builderid = num(a) ?? (await this.data.getOne<{ builderid: number }>(['builders', a!]))?.builderid;
      const build = builderid === undefined ? undefined : await this.data.getOne<{ buildid: number }>(['builders', builderid, 'builds', num(c)!]);
      if (!build) throw rpcErrors.notFound(`no build number ${c} on builder ${a}`);
      return this.buildMethods(build.buildid, t);
    }
    if (kind === 'buildrequests' && path.length === 2 && num(a) !== undefined) return this.requestMethods(num(a)!);
    if (kind === 'workers' && a && path.length === 2) return this.workerMethods(a, t);
    if (kind === 'masters' && path.length === 2 && num(a) !== undefined) {
      if (num(a) !== t.masterid) throw rpcErrors.notFound(`master ${a} is not this master (${t.masterid}); send the action to that master's API`);
      return {
        stop: async (_p, ctx) => { ctx.check('admin'); await t.stopMaster(); return null; },
        reconfig: async (_p, ctx) => { ctx.check('admin'); return t.reconfig(); },
      };
    }
    throw rpcErrors.notFound(`no control actions at ${path.join('/') || '/'}; see the action table in the API documentation`);
  }

  private forceScheduler(t: MasterControl, name: string): ForceSchedulerLike {
    const s = t.forceSchedulers().find((x) => x.name === name);
    if (!s) throw rpcErrors.notFound(`no force scheduler named '${name}' (known: ${t.forceSchedulers().map((x) => x.name).join(', ') || 'none'})`);
    return s;
  }

  private forceMethods(s: ForceSchedulerLike, _t: MasterControl): Record<string, Handler> {
    return {
      force: async (params, ctx) => {
        const { builderid, owner: _ignored, builderNames: givenNames, ...fields } = params;
        let builderNames = (s.toApi().builder_names as string[]);
        if (builderid !== undefined && builderid !== null) {
          const builder = await this.data.getOne<{ name: string }>(['builders', Number(builderid)]);
          if (!builder) throw rpcErrors.invalidParams(`no builder with id ${String(builderid)}`);
          builderNames = [builder.name];
        } else if (Array.isArray(givenNames)) builderNames = givenNames.map(String);
        // The owner is who is logged in (Buildbot does the same); anonymous forces are 'anonymous'.
        const owner = ctx.identity.username ?? 'anonymous';
        const plan = s.plan({ owner, params: fields, builderNames });
        // Judged on the branches the build gets (a fixed branch ignores the submitted one, an
        // empty field takes its default), before field errors are told: a caller who may not
        // force learns nothing about the fields. An empty branch is the repository's default,
        // which the master does not know: no branch rule covers it.
        ctx.check('force', { builderNames: [...plan.builderNames], branches: plan.sourcestamps.map((ss) => ss.branch || null) });
        const r = await s.submit(plan);
        return [r.bsid, r.brids];
      },
    };
  }

  /** Builder names and branches of a buildset, for rules limited to either. */
  private async buildsetTarget(bsid: number, builderid: number): Promise<AuthzTarget> {
    const [builder, bs] = await Promise.all([
      this.data.getOne<{ name: string }>(['builders', builderid]),
      this.data.getOne<{ sourcestamps: Array<{ branch: string | null }> }>(['buildsets', bsid]),
    ]);
    return { builderNames: builder ? [builder.name] : [], branches: bs?.sourcestamps.map((s) => s.branch) };
  }

  private async buildMethods(buildid: number, t: MasterControl): Promise<Record<string, Handler>> {
    const build = await this.data.getOne<{ builderid: number; buildrequestid: number }>(['builds', buildid]);
    if (!build) throw rpcErrors.notFound(`no build with id ${buildid}`);
    const target = async () => {
      const br = await this.data.getOne<{ buildsetid: number }>(['buildrequests', build.buildrequestid]);
      return br ? this.buildsetTarget(br.buildsetid, build.builderid) : { builderNames: [] };
    };
    return {
      stop: async (p, ctx) => {
        ctx.check('stop', await target());
        const stopped = await t.stopBuild(buildid, str(p.reason, `stopped by ${ctx.identity.username ?? 'anonymous'}`));
        if (stopped) return null;
        // A script stopping builds races with them finishing: like Buildbot, stopping a finished
        // build is not an error (result null). Only a build still open elsewhere is refused.
        const now = await this.data.getOne<{ complete: boolean }>(['builds', buildid]);
        if (!now || now.complete) return null;
        throw rpcErrors.conflict(`build ${buildid} is not running on this master (another master runs it, or the master that ran it stopped without finishing it)`);
      },
      rebuild: async (p, ctx) => {
        ctx.check('rebuild', await target());
        const br = await this.data.getOne<{ buildsetid: number }>(['buildrequests', build.buildrequestid]);
        const bs = br ? await this.data.getOne<{ bsid: number }>(['buildsets', br.buildsetid]) : undefined;
        if (!bs) throw rpcErrors.conflict(`build ${buildid} cannot be rebuilt: its buildset no longer exists`);
        const r = await t.rebuild(buildid, typeof p.reason === 'string' ? p.reason : undefined);
        return [r.bsid, r.brids];
      },
    };
  }

  private async requestMethods(brid: number): Promise<Record<string, Handler>> {
    const br = await this.data.getOne<{ buildsetid: number; builderid: number }>(['buildrequests', brid]);
    if (!br) throw rpcErrors.notFound(`no build request with id ${brid}`);
    const target = () => this.buildsetTarget(br.buildsetid, br.builderid);
    return {
      cancel: async (p, ctx) => {
        ctx.check('cancel', await target());
        await this.data.updates.cancelBuildRequest(brid, str(p.reason, `cancelled by ${ctx.identity.username ?? 'anonymous'}`));
        return null;
      },
      set_priority: async (p, ctx) => {
        ctx.check('cancel', await target());
        if (typeof p.priority !== 'number' || !Number.isInteger(p.priority)) throw rpcErrors.invalidParams("'priority' must be an integer");
        await this.data.updates.setBuildRequestPriority(brid, p.priority);
        return null;
      },
    };
  }

  private async workerMethods(idOrName: string, t: MasterControl): Promise<Record<string, Handler>> {
    const worker = await this.data.getOne<{ workerid: number; name: string }>(['workers', /^\d+$/.test(idOrName) ? Number(idOrName) : idOrName]);
    if (!worker) throw rpcErrors.notFound(`no worker ${idOrName}`);
    const pause = (paused: boolean): Handler => async (_p, ctx) => {
      ctx.check('admin');
      t.setWorkerPaused(worker.name, paused);
      await this.data.updates.setWorkerState(worker.workerid, { paused });
      return null;
    };
    return {
      pause: pause(true),
      unpause: pause(false),
      stop: async (_p, ctx) => {
        ctx.check('admin');
        await this.data.updates.setWorkerState(worker.workerid, { graceful: true });
        if (!(await t.shutdownWorkerGracefully(worker.name))) throw rpcErrors.conflict(`worker '${worker.name}' is not connected to this master`);
        return null;
      },
      kill: async (p, ctx) => {
        ctx.check('admin');
        if (!t.killWorker(worker.name, str(p.reason, `disconnected by ${ctx.identity.username ?? 'anonymous'}`))) throw rpcErrors.conflict(`worker '${worker.name}' is not connected to this master`);
        return null;
      },
    };
  }
}
