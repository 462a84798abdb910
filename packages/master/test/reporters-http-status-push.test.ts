/**
 * httpStatusPush against a real HTTP server on loopback (test/support/standins/http-standin.ts):
 * the JSON document in Buildbot's build dict shape, Basic auth from a secret, extra headers, the
 * report id header, and errors that keep the secret out.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { Standin, type ServiceSpec } from './support/standins/http-standin.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters, generators } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { Secret } from '../src/process/renderables.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import type { ReportEvent } from '../src/reporters/base.js';

const receiver: ServiceSpec = {
  name: 'receiver',
  handle: (r) => (r.method === 'POST' && r.headers['content-type'] === 'application/json' ? { status: 200, body: { ok: true } } : { status: 400, body: 'not a JSON POST' }),
  serverError: (status) => ({ status, body: 'down' }),
  rateLimited: (s) => ({ status: 429, headers: { 'retry-after': String(s) }, body: 'slow down' }),
};

describe('httpStatusPush', () => {
  let f: ReportFixture; let endpoint: Standin;
  before(async () => { f = await ReportFixture.open(); endpoint = await Standin.start(receiver); });
  after(async () => { await endpoint.close(); await f.close(); });
  const secrets = async (n: string) => (n === 'hook' ? 'Hook-Pa55word-xyz' : undefined);

  test("POSTs the build in Buildbot's build dict shape, with Basic auth from a secret, extra headers and the report's id", async () => {
    const b = await f.build({ builder: 'web', results: Results.FAILURE, steps: [{ name: 'test', results: Results.FAILURE, lines: ['boom'] }] });
    const r = createReporter(reporters.httpStatusPush({ url: `${endpoint.url}/hook`, auth: { user: 'ci', password: Secret('hook') }, headers: { 'X-Team': 'core' } }));
    const event: ReportEvent = { id: 41, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null };
    const report = await r.generators[0]!.generate(f.context(), event);
    await r.send(report!, f.context({ getSecret: secrets }));
    const [got] = await endpoint.waitForAccepted(1);
    assert.equal(got!.rawPath, '/hook');
    assert.equal(got!.headers.authorization, `Basic ${Buffer.from('ci:Hook-Pa55word-xyz').toString('base64')}`);
    assert.equal(got!.headers['x-team'], 'core');
    assert.equal(got!.headers['x-mastro-report'], '41');
    const doc = got!.json as Record<string, any>;
    for (const k of ['buildid', 'number', 'builderid', 'buildrequestid', 'workerid', 'masterid', 'started_at', 'complete', 'complete_at', 'results', 'state_string', 'properties', 'builder', 'buildrequest', 'buildset', 'url', 'steps']) assert.ok(k in doc, `the document has ${k}`);
    assert.equal(doc.buildid, b.buildid);
    assert.equal(doc.results, Results.FAILURE);
    assert.equal(doc.builder.name, 'web');
    assert.equal(doc.buildset.sourcestamps[0].repository, 'https://github.com/o/r');
    assert.deepEqual(doc.properties.branch, ['main', 'Build']);
    assert.equal(doc.steps[0].name, 'test');
  });

  test('by default it reports when a build starts and when it finishes (Buildbot: report_new)', () => {
    const r = createReporter(reporters.httpStatusPush({ url: 'http://127.0.0.1:1/' }));
    assert.deepEqual([...r.generators[0]!.wantedEvents].sort(), [ReportEvents.buildFinished, ReportEvents.buildStarted].sort());
  });

  test('a text generator posts { subject, body, type, builds }', async () => {
    const b = await f.build({ builder: 'web2', results: Results.SUCCESS });
    const r = createReporter(reporters.httpStatusPush({ url: `${endpoint.url}/t`, generators: [generators.buildStatus({ messageFormatter: { templateType: 'plain', template: '%(kw:buildername)s is %(kw:result)s on %(prop:branch)s' } })] }));
    const report = await r.generators[0]!.generate(f.context(), { id: 42, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    await r.send(report!, f.context());
    const got = (await endpoint.waitForAccepted(2))[1]!;
    const doc = got.json as Record<string, any>;
    assert.equal(doc.body, 'web2 is success on main');
    assert.equal(doc.type, 'plain');
    assert.equal(doc.builds[0].buildid, b.buildid);
  });

  test("an endpoint that fails gives a retryable error, one that refuses a permanent one, neither holding the password", async () => {
    const b = await f.build({ builder: 'web3' });
    const r = createReporter(reporters.httpStatusPush({ url: `${endpoint.url}/x`, auth: ['ci', Secret('hook')] }));
    const report = (await r.generators[0]!.generate(f.context(), { id: 43, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null }))!;
    endpoint.failNext(1, 503);
    const err = await r.send(report, f.context({ getSecret: secrets })).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && err.retryable, String(err));
    assert.ok(!String(err.message).includes('Hook-Pa55word-xyz'));
    const bad = createReporter(reporters.httpStatusPush({ url: `${endpoint.url}/y`, headers: { 'content-type': 'text/plain' } }));
    const err2 = await bad.send(report, f.context()).then(() => null, (e) => e);
    assert.ok(err2 instanceof TransportError && !err2.retryable, String(err2));
    assert.match(err2.message, /HTTP 400/);
  });
});
