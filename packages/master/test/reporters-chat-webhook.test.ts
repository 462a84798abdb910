/**
 * chatWebhook against the Slack-webhook and Matrix stand-ins (test/support/standins/), which check
 * the documented request shapes: a Slack (and Mattermost) message with the report's text from a
 * secret webhook URL that no error text shows; a Matrix m.notice with the HTML body, and one
 * transaction id per report so a repeated delivery is posted once.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { startMatrixStandin, startSlackStandin, type MatrixSpec, type SlackSpec, type Standin } from './support/standins/index.js';
import { assertIssues, reporterConfigIssues } from './support/reporter-config.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters, generators } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { Secret } from '../src/process/renderables.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import type { Report, Reporter } from '../src/reporters/base.js';

const ROOM = '!builds123:mastro.test';
const MATRIX_TOKEN = 'syt_matrixAccessToken_abc';

describe('chatWebhook', () => {
  let f: ReportFixture; let slackServer: Standin; let slack: SlackSpec; let webhookUrl: string; let matrixServer: Standin; let matrix: MatrixSpec;
  before(async () => {
    f = await ReportFixture.open();
    ({ server: slackServer, slack, webhookUrl } = await startSlackStandin());
    ({ server: matrixServer, matrix } = await startMatrixStandin({ accessToken: MATRIX_TOKEN, rooms: [ROOM] }));
  });
  after(async () => { await slackServer.close(); await matrixServer.close(); await f.close(); });
  const ctx = () => f.context({ getSecret: async (n) => ({ hook: webhookUrl, matrix: MATRIX_TOKEN })[n] });
  let ids = 100;
  async function reportOf(r: Reporter, results = Results.FAILURE): Promise<Report> {
    const b = await f.build({ builder: 'web', results, steps: [{ name: 'test', results }] });
    return (await r.generators[0]!.generate(ctx(), { id: ++ids, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null, createdAtMs: 1_700_000_000_000 + ids }))!;
  }

  test("a finished build is one Slack message from the secret webhook URL: builder, number, result, summary and link", async () => {
    const r = createReporter(reporters.chatWebhook({ url: Secret('hook') }));
    await r.send(await reportOf(r), ctx());
    assert.equal(slack.messages.length, 1);
    assert.match(slack.messages[0]!.text!, /^web #\d+ failure: BUILD FAILED: failed shell http:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/\d+$/);
  });

  test('mattermost takes the same JSON with its username and channel', async () => {
    const r = createReporter(reporters.chatWebhook({ url: webhookUrl, format: 'mattermost', username: 'ci', channel: 'town-square' }));
    await r.send(await reportOf(r, Results.SUCCESS), ctx());
    const last = slack.messages.at(-1)!;
    assert.equal(last.body.username, 'ci');
    assert.equal(last.body.channel, 'town-square');
    assert.match(last.text!, / success: Build succeeded! /);
  });

  test('an outage is retryable and a refusal permanent; neither error shows the webhook URL\'s secret path', async () => {
    const r = createReporter(reporters.chatWebhook({ url: Secret('hook') }));
    const report = await reportOf(r);
    slackServer.failNext(1, 500);
    const down = await r.send(report, ctx()).then(() => null, (e) => e);
    assert.ok(down instanceof TransportError && down.retryable, String(down));
    const wrong = createReporter(reporters.chatWebhook({ url: `${slackServer.url}/services/T0/B0/wrongSecretPath` }));
    const refused = await wrong.send(report, ctx()).then(() => null, (e) => e);
    assert.ok(refused instanceof TransportError && !refused.retryable, String(refused));
    for (const e of [down, refused]) {
      assert.ok(!e.message.includes('XXXXmastroXXXXtokenXXXX') && !e.message.includes('wrongSecretPath'), e.message);
      assert.match(e.message, /http:\/\/127\.0\.0\.1:\d+\/\*\*\*/);
    }
  });

  test('a Matrix room gets an m.notice with the HTML body; a repeated delivery of one report is posted once', async () => {
    const r = createReporter(reporters.chatWebhook({ url: matrixServer.url, format: 'matrix', token: Secret('matrix'), room: ROOM, generators: [generators.buildStatus({ mode: 'all', messageFormatter: { templateType: 'html', template: '<b>%(kw:buildername)s</b> %(kw:result)s' } })] }));
    const report = await reportOf(r);
    await r.send(report, ctx());
    await r.send(report, ctx());
    assert.equal(matrix.events.length, 1, 'the same transaction is one event');
    const [ev] = matrix.events;
    assert.deepEqual(ev!.content, { msgtype: 'm.notice', body: 'web failure', format: 'org.matrix.custom.html', formatted_body: '<b>web</b> failure' });
    assert.equal(ev!.roomId, ROOM);
    await r.send(await reportOf(r), ctx());
    assert.equal(matrix.events.length, 2, 'another report is another transaction');
    assert.notEqual(matrix.events[0]!.txnId, matrix.events[1]!.txnId);
    assert.equal(matrixServer.accepted.at(-1)!.headers.authorization, `Bearer ${MATRIX_TOKEN}`);
  });

  test('a Matrix refusal (not in the room) is permanent, with the homeserver\'s words and no token', async () => {
    const r = createReporter(reporters.chatWebhook({ url: matrixServer.url, format: 'matrix', token: MATRIX_TOKEN, room: '!other:mastro.test' }));
    const err = await r.send(await reportOf(r), ctx()).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && !err.retryable, String(err));
    assert.match(err.message, /M_FORBIDDEN/);
    assert.ok(!err.message.includes(MATRIX_TOKEN));
  });

  test('config: format, the Matrix token and room ID, and options of the other format are checked with their paths', () => {
    const got = reporterConfigIssues([
      reporters.chatWebhook({ url: 'https://hooks.example.org/x', format: 'teams' as never }),
      reporters.chatWebhook({ name: 'm', url: 'https://matrix.example.org', format: 'matrix', room: '#builds:example.org' }),
      reporters.chatWebhook({ name: 's', url: 'https://hooks.example.org/x', room: '!a:b' }),
    ]);
    assertIssues(got, [
      'reporters[0].format: must be one of slack, mattermost, matrix, got the string "teams"',
      "reporters[1].token: is required (a string, or util.secret('name') to keep it out of the config)",
      "reporters[1].room: must be a room ID such as '!abc123:example.org' (Room settings > Advanced), not \"#builds:example.org\" (an alias)",
      "reporters[2].room: is for format 'matrix'; a slack webhook's URL is its credential",
    ]);
  });
});
