/**
 * JSON Schemas of the resource types (the shapes of data/types.ts) and the REST route table. The
 * OpenAPI document (../openapi.ts) is generated from these; tests check responses against them.
 */
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (s: object) => ({ anyOf: [s, { type: 'null' }] });
const arr = (items: object) => ({ type: 'array', items });
const obj = (properties: Record<string, object>) => ({ type: 'object', properties, required: Object.keys(properties) });
const sourcedProperties = { type: 'object', additionalProperties: { type: 'array', minItems: 2, maxItems: 2 } };

const master = obj({ masterid: int, name: str, active: bool, last_active: int });
const sourcestamp = obj({ ssid: int, revision: nullable(str), branch: nullable(str), repository: str, project: str, codebase: str, patch: nullable({ type: 'object' }), created_at: int });

export const RESOURCE_SCHEMAS: Record<string, object> = {
  master,
  builder: obj({ builderid: int, name: str, masterids: arr(int), description: nullable(str), tags: arr(str) }),
  sourcestamp,
  change: obj({ changeid: int, parent_changeids: arr(int), author: str, committer: nullable(str), files: arr(str), comments: str, revision: nullable(str), when_timestamp: int, branch: nullable(str), category: nullable(str), revlink: nullable(str), properties: sourcedProperties, repository: str, project: str, codebase: str, sourcestamp }),
  buildset: obj({ bsid: int, external_idstring: nullable(str), reason: str, submitted_at: int, complete: bool, complete_at: nullable(int), results: nullable(int), sourcestamps: arr(sourcestamp), parent_buildid: nullable(int), parent_relationship: nullable(str) }),
  buildrequest: obj({ buildrequestid: int, buildsetid: int, builderid: int, priority: int, claimed: bool, claimed_at: nullable(int), claimed_by_masterid: nullable(int), complete: bool, results: nullable(int), submitted_at: int, complete_at: nullable(int), waited_for: bool, properties: nullable(sourcedProperties), pending_reason: nullable({ type: 'object', properties: { code: str, message: str } }) }),
  build: obj({ buildid: int, number: int, builderid: int, buildrequestid: int, workerid: int, masterid: int, started_at: int, complete: bool, complete_at: nullable(int), results: nullable(int), state_string: str, properties: nullable(sourcedProperties) }),
  step: obj({ stepid: int, number: int, name: str, buildid: int, started_at: nullable(int), complete: bool, complete_at: nullable(int), results: nullable(int), state_string: str, urls: arr(obj({ name: str, url: str })), hidden: bool }),
  log: obj({ logid: int, name: str, slug: str, stepid: int, complete: bool, num_lines: int, type: { type: 'string', enum: ['s', 't', 'h', 'd'] } }),
  logchunk: obj({ logid: int, firstline: int, content: str }),
  worker: obj({ workerid: int, name: str, connected_to: arr(obj({ masterid: int })), configured_on: arr(obj({ masterid: int, builderid: int })), workerinfo: { type: 'object' }, paused: bool, graceful: bool, pool: nullable(str), tags: arr(str), os: nullable(str), arch: nullable(str) }),
  scheduler: obj({ schedulerid: int, name: str, enabled: bool, master: nullable(master) }),
  forcescheduler: obj({ name: str, button_name: str, label: str, builder_names: arr(str), enabled: bool, all_fields: arr({ type: 'object' }) }),
  changesource: obj({ name: str, kind: str, status: { type: 'object' } }),
  properties: sourcedProperties,
  lock: obj({ lockid: str, kind: str, name: str, worker_name: nullable(str), max_count: int, holders: arr(obj({ owner: str, mode: str, count: int })), waiters: arr(obj({ owner: str, mode: str, count: int })) }),
  reporter: obj({
    name: str, kind: nullable(str), configured: bool, generators: arr(str), delivered: int, pending: int, failing: int, failed: int, in_flight: int,
    last_delivered_at: nullable(int), last_error: nullable(str), last_error_at: nullable(int),
  }),
};

/** Collection key in responses (Buildbot's plural) for each entity type. */
export const PLURAL: Record<string, string> = {
  master: 'masters', builder: 'builders', sourcestamp: 'sourcestamps', change: 'changes', buildset: 'buildsets', buildrequest: 'buildrequests',
  build: 'builds', step: 'steps', log: 'logs', logchunk: 'logchunks', worker: 'workers', scheduler: 'schedulers', forcescheduler: 'forceschedulers',
  changesource: 'changesources', lock: 'locks', properties: 'properties', reporter: 'reporters',
};

export interface RouteSpec { path: string; type: keyof typeof RESOURCE_SCHEMAS | 'raw'; collection: boolean; summary: string; control?: string[] }

/** Every REST path (OpenAPI templates). `{id}` segments are numeric ids; `{name}` are names. */
export const ROUTES: RouteSpec[] = [
  { path: '/masters', type: 'master', collection: true, summary: 'masters' },
  { path: '/masters/{masterid}', type: 'master', collection: false, summary: 'one master', control: ['stop', 'reconfig'] },
  { path: '/masters/{masterid}/builders', type: 'builder', collection: true, summary: "a master's builders" },
  { path: '/masters/{masterid}/workers', type: 'worker', collection: true, summary: "workers configured on or connected to a master" },
  { path: '/masters/{masterid}/changesources', type: 'changesource', collection: true, summary: "this master's change sources (mastro shape)" },
  { path: '/masters/{masterid}/schedulers', type: 'scheduler', collection: true, summary: "a master's schedulers" },
  { path: '/builders', type: 'builder', collection: true, summary: 'builders' },
  { path: '/builders/{builderid_or_name}', type: 'builder', collection: false, summary: 'one builder, by id or name' },
  { path: '/builders/{builderid}/builds', type: 'build', collection: true, summary: "a builder's builds" },
  { path: '/builders/{builderid}/builds/{number}', type: 'build', collection: false, summary: 'a build by builder and number', control: ['stop', 'rebuild'] },
  { path: '/builders/{builderid}/builds/{number}/steps', type: 'step', collection: true, summary: "a build's steps" },
  { path: '/builders/{builderid}/buildrequests', type: 'buildrequest', collection: true, summary: "a builder's build requests" },
  { path: '/builders/{builderid}/workers', type: 'worker', collection: true, summary: "a builder's workers (configured_on: this builder only)" },
  { path: '/builders/{builderid}/workers/{workerid_or_name}', type: 'worker', collection: false, summary: 'a worker configured for a builder' },
  { path: '/builders/{builderid}/builds/{number}/properties', type: 'properties', collection: false, summary: "a build's properties {name: [value, source]}" },
  { path: '/builders/{builderid}/masters', type: 'master', collection: true, summary: 'masters running a builder' },
  { path: '/builders/{builderid}/forceschedulers', type: 'forcescheduler', collection: true, summary: 'force schedulers that can start a builder' },
  { path: '/builds', type: 'build', collection: true, summary: 'builds (filter e.g. complete=true, results=0, builderid=3)' },
  { path: '/builds/{buildid}', type: 'build', collection: false, summary: 'one build', control: ['stop', 'rebuild'] },
  { path: '/builds/{buildid}/steps', type: 'step', collection: true, summary: "a build's steps" },
  { path: '/builds/{buildid}/steps/{number_or_name}', type: 'step', collection: false, summary: 'a step by number or name' },
  { path: '/builds/{buildid}/steps/{number_or_name}/logs', type: 'log', collection: true, summary: "a step's logs" },
  { path: '/builds/{buildid}/steps/{number_or_name}/logs/{slug}', type: 'log', collection: false, summary: 'a log by slug' },
  { path: '/builds/{buildid}/properties', type: 'properties', collection: false, summary: "a build's properties {name: [value, source]}" },
  { path: '/builds/{buildid}/changes', type: 'change', collection: true, summary: 'changes built by a build' },
  { path: '/buildrequests', type: 'buildrequest', collection: true, summary: 'build requests (pending: claimed=false&complete=false)' },
  { path: '/buildrequests/{buildrequestid}', type: 'buildrequest', collection: false, summary: 'one build request', control: ['cancel', 'set_priority'] },
  { path: '/buildrequests/{buildrequestid}/builds', type: 'build', collection: true, summary: 'builds of a request' },
  { path: '/buildsets', type: 'buildset', collection: true, summary: 'buildsets' },
  { path: '/buildsets/{bsid}', type: 'buildset', collection: false, summary: 'one buildset' },
  { path: '/buildsets/{bsid}/properties', type: 'properties', collection: false, summary: "a buildset's properties {name: [value, source]}" },
  { path: '/buildsets/{bsid}/sourcestamps', type: 'sourcestamp', collection: true, summary: "a buildset's sourcestamps" },
  { path: '/buildsets/{bsid}/buildrequests', type: 'buildrequest', collection: true, summary: "a buildset's requests" },
  { path: '/changes', type: 'change', collection: true, summary: 'changes' },
  { path: '/changes/{changeid}', type: 'change', collection: false, summary: 'one change' },
  { path: '/sourcestamps', type: 'sourcestamp', collection: true, summary: 'sourcestamps' },
  { path: '/sourcestamps/{ssid}', type: 'sourcestamp', collection: false, summary: 'one sourcestamp' },
  { path: '/sourcestamps/{ssid}/changes', type: 'change', collection: true, summary: 'changes of a sourcestamp' },
  { path: '/steps/{stepid}', type: 'step', collection: false, summary: 'one step' },
  { path: '/steps/{stepid}/logs', type: 'log', collection: true, summary: "a step's logs" },
  { path: '/steps/{stepid}/logs/{slug}', type: 'log', collection: false, summary: 'a log by slug' },
  { path: '/logs/{logid}', type: 'log', collection: false, summary: 'one log' },
  { path: '/logs/{logid}/contents', type: 'logchunk', collection: false, summary: 'log lines (offset/limit select lines)' },
  { path: '/logs/{logid}/raw', type: 'raw', collection: false, summary: 'the whole log as a text download (streamed)' },
  { path: '/workers', type: 'worker', collection: true, summary: 'workers' },
  { path: '/workers/{workerid_or_name}', type: 'worker', collection: false, summary: 'one worker', control: ['pause', 'unpause', 'stop', 'kill'] },
  { path: '/workers/{workerid}/builds', type: 'build', collection: true, summary: "a worker's builds" },
  { path: '/schedulers', type: 'scheduler', collection: true, summary: 'schedulers' },
  { path: '/schedulers/{schedulerid}', type: 'scheduler', collection: false, summary: 'one scheduler' },
  { path: '/forceschedulers', type: 'forcescheduler', collection: true, summary: 'force schedulers with their form fields' },
  { path: '/forceschedulers/{name}', type: 'forcescheduler', collection: false, summary: 'one force scheduler', control: ['force'] },
  { path: '/changesources', type: 'changesource', collection: true, summary: "this master's change sources with their live status (mastro)" },
  { path: '/changesources/{changesource_name}', type: 'changesource', collection: false, summary: 'one change source (mastro)' },
  { path: '/locks', type: 'lock', collection: true, summary: 'locks held or waited for now, with holders and waiters (mastro)' },
  { path: '/locks/{lockid}', type: 'lock', collection: false, summary: 'one lock, e.g. master:db or worker:compile@w0 (mastro)' },
  { path: '/reporters', type: 'reporter', collection: true, summary: 'reporters with their delivered, pending, failing and failed reports, the last error and delivery (mastro)' },
  { path: '/reporters/{reporter_name}', type: 'reporter', collection: false, summary: 'one reporter by name (mastro)' },
];
