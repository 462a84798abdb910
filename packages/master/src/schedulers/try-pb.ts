/**
 * `buildbot try --connect=pb` against a tryUserpass scheduler: the perspective each of its users
 * logs in to, and the objects `--wait` follows the job's builds through. They are Buildbot's own
 * (buildbot/schedulers/trysched.py), so Buildbot's unmodified try client works:
 *
 *   perspective.try(branch, revision, patch, repository, project, builderNames, who, comment, properties)
 *       -> a buildset status (or None when the builders are not this scheduler's: the client then
 *          says "try scheduler on the master does not have the builder configured")
 *   perspective.getAvailableBuilderNames() -> the scheduler's builder names
 *   buildset.getBuildRequests() -> [(builderName, request), ...]
 *   request.subscribe(client) -> calls client.newbuild(build, builderName) for each of its builds,
 *       those already started included; request.unsubscribe(client)
 *   build.subscribe(client, interval) -> client.stepStarted(builderName, build, stepName, None) and
 *       client.stepFinished(builderName, build, stepName, None, results); build.unsubscribe(client)
 *   build.waitUntilFinished() -> the build again, once it finished
 *   build.getResults() -> its result code; build.getText() -> [its state string]
 *
 * Every subscription ends with its connection. Calls to the client are not waited for: a client
 * that does not answer holds nothing up.
 */
import { pb } from 'mastro-protocol';
import type { MessageQueue } from '../mq/bus.js';
import type { BuildRow } from '../data/updates-api.js';
import type { BuildResource, StepResource } from '../data/types.js';
import { TryJobError, isCommitId, type TryJob } from './try-base.js';
import type { Logger as SchedulerLogger } from 'mastro-protocol';

/** What the try perspective needs from its scheduler and the master. */
export interface TryPbBackend {
  readonly schedulerName: string;
  readonly builderNames: readonly string[];
  /** Adds the job's buildset; resolves with its id and request ids by builder id. */
  submit(job: TryJob): Promise<{ bsid: number; brids: Record<number, number> }>;
  builderName(builderid: number): string;
  mq: MessageQueue;
  getBuild(buildid: number): Promise<BuildRow | undefined>;
  /** The builds of a build request so far. */
  buildsOfRequest(brid: number): Promise<BuildResource[]>;
  log: SchedulerLogger;
}

class TryArgumentError extends pb.PbError {
  constructor(message: string) { super(pb.FailureTypes.RUNTIME_ERROR, `try: ${message}`); }
}

/** Text from the wire, as Buildbot's bytes2unicode reads it; None stays null. */
function text(value: unknown, what: string): string | null {
  const t = pb.pbText(value);
  if (t === undefined) throw new TryArgumentError(`${what} must be text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  return t;
}

/** The positional and keyword arguments of `try`, in Buildbot's order and with its defaults. */
const TRY_PARAMETERS = ['branch', 'revision', 'patch', 'repository', 'project', 'builderNames', 'who', 'comment', 'properties'] as const;

/** Reads a `try` call as Buildbot's perspective_try does: the job it describes. */
export function tryJobFromPb(call: pb.IncomingCall): TryJob {
  if (call.args.length > TRY_PARAMETERS.length) throw new TryArgumentError(`takes at most ${TRY_PARAMETERS.length} arguments (${TRY_PARAMETERS.join(', ')}), got ${call.args.length}`);
  const a: Record<string, unknown> = {};
  TRY_PARAMETERS.forEach((name, i) => { if (i < call.args.length) a[name] = call.args[i]; });
  for (const [k, v] of Object.entries(call.kwargs)) {
    if (!(TRY_PARAMETERS as readonly string[]).includes(k)) throw new TryArgumentError(`unknown argument ${k}; the arguments are ${TRY_PARAMETERS.join(', ')}`);
    a[k] = v;
  }
  const patch = a.patch;
  if (!Array.isArray(patch) || patch.length !== 2) throw new TryArgumentError('patch must be (patch level, diff)');
  const level = Number(patch[0]);
  if (!Number.isInteger(level) || level < 0) throw new TryArgumentError(`the patch level must be a non-negative integer, got ${String(patch[0])}`);
  const body = patch[1] === null || patch[1] === undefined ? null : Buffer.isBuffer(patch[1]) ? patch[1] : Buffer.from(text(patch[1], 'the diff') ?? '', 'utf8');
  const names = a.builderNames ?? [];
  if (!Array.isArray(names) && !(names instanceof Set)) throw new TryArgumentError('builderNames must be a list of builder names');
  const properties = a.properties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) throw new TryArgumentError('properties must be a dictionary');
  const revision = text(a.revision, 'revision') || null;
  if (revision !== null && !isCommitId(revision)) throw new TryArgumentError(`the base revision must be a commit id, got ${JSON.stringify(revision.slice(0, 100))}; give buildbot try --baserev a commit id`);
  const who = text(a.who, 'who') ?? '';
  const comment = text(a.comment, 'comment');
  return {
    who, comment,
    builderNames: [...names].map((n) => text(n, 'a builder name') ?? ''),
    properties: properties as Record<string, unknown>,
    sourcestamps: [{
      branch: text(a.branch, 'branch'), revision,
      repository: text(a.repository, 'repository') ?? '', project: text(a.project, 'project') ?? '', codebase: '',
      // An empty diff builds the base revision as it is (Buildbot's client warns "There is no patch to try").
      patch: body && body.length ? { level, body, subdir: '' } : null,
    }],
  };
}

/** The perspective of one logged-in try user. */
export function tryPerspective(backend: TryPbBackend, username: string, broker: pb.Broker): pb.Referenceable {
  return new pb.Referenceable({
    try: async (call) => {
      const job = tryJobFromPb(call);
      const unknown = job.builderNames!.filter((b) => !backend.builderNames.includes(b));
      if (unknown.length) {
        // Buildbot answers None here, and its client tells the user; an error would leave that client hanging.
        backend.log.warn({ scheduler: backend.schedulerName, user: username, builders: unknown },
          `try job refused: ${unknown.join(', ')} ${unknown.length > 1 ? 'are not builders' : 'is not a builder'} of try scheduler '${backend.schedulerName}' (${backend.builderNames.join(', ')})`);
        return null;
      }
      let submitted: { bsid: number; brids: Record<number, number> };
      try {
        submitted = await backend.submit(job);
      } catch (err) {
        if (err instanceof TryJobError) throw new TryArgumentError(err.message);
        throw err;
      }
      backend.log.info({ scheduler: backend.schedulerName, user: username, bsid: submitted.bsid, via: 'pb' }, 'try job accepted');
      return buildsetStatus(backend, submitted.brids, broker);
    },
    getAvailableBuilderNames: () => [...backend.builderNames],
  }, `try perspective of ${username}`);
}

function buildsetStatus(backend: TryPbBackend, brids: Record<number, number>, broker: pb.Broker): pb.Referenceable {
  return new pb.Referenceable({
    getBuildRequests: () => Object.entries(brids).map(([builderid, brid]) => {
      const name = backend.builderName(Number(builderid));
      return new pb.PbTuple(name, buildRequest(backend, Number(builderid), name, brid, broker));
    }),
  }, 'try buildset status');
}

/** Subscriptions of one remote object, ended by unsubscribe or by the connection's end. */
class Subscriptions {
  private stops: Array<() => void> = [];

  constructor(broker: pb.Broker) {
    broker.onDisconnect(() => this.end());
  }

  add(stop: () => void): void { this.stops.push(stop); }

  end(): void { for (const stop of this.stops.splice(0)) stop(); }
}

/** Calls the client without waiting for (or minding) its answer. */
function tell(backend: TryPbBackend, client: pb.RemoteReference, method: string, ...args: unknown[]): void {
  client.callRemote(method, ...args).catch((err: Error) => backend.log.info({ scheduler: backend.schedulerName, method, err: err.message }, 'a try client did not take a status call'));
}

function asClient(value: unknown, method: string): pb.RemoteReference {
  if (!(value instanceof pb.RemoteReference)) throw new TryArgumentError(`${method} takes the client's own object (a reference) first`);
  return value;
}

function buildRequest(backend: TryPbBackend, builderid: number, builderName: string, brid: number, broker: pb.Broker): pb.Referenceable {
  const subscriptions = new Subscriptions(broker);
  return new pb.Referenceable({
    subscribe: async ({ args: [subscriber] }) => {
      const client = asClient(subscriber, 'subscribe');
      const reported = new Set<number>();
      const report = (buildid: number): void => {
        if (reported.has(buildid)) return;
        reported.add(buildid);
        tell(backend, client, 'newbuild', remoteBuild(backend, buildid, builderName, broker), builderName);
      };
      // Subscribe first, then list what already started, so no build falls between the two.
      subscriptions.add(backend.mq.subscribe<BuildResource>(['builders', String(builderid), 'builds', null, 'new'], (_key, b) => {
        if (b.buildrequestid === brid) report(b.buildid);
      }));
      for (const b of await backend.buildsOfRequest(brid)) report(b.buildid);
      return null;
    },
    unsubscribe: () => { subscriptions.end(); return null; },
  }, `try build request ${brid}`);
}

function remoteBuild(backend: TryPbBackend, buildid: number, builderName: string, broker: pb.Broker): pb.Referenceable {
  const subscriptions = new Subscriptions(broker);
  const self: pb.Referenceable = new pb.Referenceable({
    subscribe: ({ args: [subscriber] }) => {
      const client = asClient(subscriber, 'subscribe');
      subscriptions.add(backend.mq.subscribe<StepResource>(['builds', String(buildid), 'steps', null, null], (key, step) => {
        const event = key[key.length - 1];
        if (event === 'started') tell(backend, client, 'stepStarted', builderName, self, step.name, null);
        else if (event === 'finished') tell(backend, client, 'stepFinished', builderName, self, step.name, null, step.results);
      }));
      return null;
    },
    unsubscribe: () => { subscriptions.end(); return null; },
    waitUntilFinished: () => new Promise((resolve, reject) => {
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        stop();
        stopOnClose();
        resolve(self);
      };
      const stop = backend.mq.subscribe(['builds', String(buildid), 'finished'], finish);
      const stopOnClose = broker.onDisconnect(() => { if (!settled) { settled = true; stop(); reject(new Error('connection lost')); } });
      // It may have finished before the subscription existed.
      backend.getBuild(buildid).then((b) => { if (b?.complete_at !== null && b?.complete_at !== undefined) finish(); }, () => {});
    }),
    getResults: async () => (await backend.getBuild(buildid))?.results ?? null,
    getText: async () => [(await backend.getBuild(buildid))?.state_string ?? ''],
  }, `try build ${buildid}`);
  return self;
}
