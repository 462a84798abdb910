/**
 * The IRC reporter's bot against Debian's ngircd started by the test (test/support/ircd.ts), with
 * people in the channel as bare RFC clients, builds on a real data layer and a recording control:
 * it joins, announces what notifyEvents names (and only that), answers commands in the channel
 * when addressed and in private, lets only the users authz names force and stop, watches a build,
 * and keeps an announcement waiting while it is not connected.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture, quietLogger } from './support/report-fixtures.js';
import { TestIrcd, IrcTestUser, ircdUnavailable, type SeenLine } from './support/ircd.js';
import { assertIssues, reporterConfigIssues } from './support/reporter-config.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import type { Reporter, ReporterControl, ReporterRuntime } from '../src/reporters/base.js';
import { mayRun, splitArgs } from '../src/reporters/chat-commands.js';
import { notifiesFinished } from '../src/reporters/chat-events.js';

const skip = ircdUnavailable();

class RecordingControl implements ReporterControl {
  readonly forced: Array<Parameters<ReporterControl['forceBuild']>[0]> = [];
  readonly stopped: Array<{ buildid: number; reason: string }> = [];
  async forceBuild(req: Parameters<ReporterControl['forceBuild']>[0]) { this.forced.push(req); return { bsid: 99 }; }
  async stopBuild(buildid: number, reason: string) { this.stopped.push({ buildid, reason }); return true; }
}

describe('irc reporter on a real IRC server', { skip, timeout: 180_000 }, () => {
  let ircd: TestIrcd; let f: ReportFixture; let bot: Reporter; let ada: IrcTestUser; let bob: IrcTestUser;
  const control = new RecordingControl();
  let ids = 0;

  before(async () => {
    ircd = await TestIrcd.start();
    f = await ReportFixture.open();
    ada = await IrcTestUser.connect(ircd.port, 'ada');
    bob = await IrcTestUser.connect(ircd.port, 'bob');
    await ada.join('#ci');
    await bob.join('#ci');
    bot = createReporter(reporters.irc({ host: '127.0.0.1', port: ircd.port, nick: 'mastrobot', channels: ['#ci'], notifyEvents: ['failure', 'started'], authz: { force: ['ada'], stop: ['ada'] }, useColors: false }));
    const joined = ada.waitFor((l) => l.command === 'JOIN' && l.prefix.startsWith('mastrobot!'));
    const runtime: ReporterRuntime = { data: f.data, logger: quietLogger(), title: 'Test CI', buildbotURL: 'http://ci.example.org/', getSecret: async () => undefined, control };
    await bot.start!(runtime);
    await joined;
  });
  after(async () => { await bot?.close?.(); await ada?.quit(); await bob?.quit(); await ircd?.close(); await f?.close(); });

  const fromBot = (to: string, re: RegExp) => (l: SeenLine) => l.command === 'PRIVMSG' && l.prefix.startsWith('mastrobot!') && l.params[0] === to && re.test(l.params[1] ?? '');
  async function deliver(buildid: number, kind: string): Promise<void> {
    const report = await bot.generators[0]!.generate(f.context(), { id: ++ids, kind: kind as never, subjectId: buildid, payload: null });
    if (report) await bot.send(report, f.context());
  }

  test('it announces a started build and a failure in the channel, and not a success it was not asked to', async () => {
    const from = ada.lines.length;
    const failing = await f.startBuild({ builder: 'unit', author: 'Carol <carol@example.org>' });
    await deliver(failing.buildid, ReportEvents.buildStarted);
    await ada.waitFor(fromBot('#ci', /^Build #1 of unit started\. http:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/1$/), from);
    await f.finishBuild(failing, { builder: 'unit', results: Results.FAILURE });
    await deliver(failing.buildid, ReportEvents.buildFinished);
    const line = await ada.waitFor(fromBot('#ci', /^Build #1 of unit failed: failed shell /), from);
    assert.match(line.params[1]!, /blamelist: Carol <carol@example\.org>$/);
    const ok = await f.build({ builder: 'unit' });
    await deliver(ok.buildid, ReportEvents.buildFinished);
    ada.say('#ci', 'mastrobot: commands'); // a marker: everything the bot said before it is in order
    await ada.waitFor(fromBot('#ci', /^Commands: /), from);
    assert.ok(!ada.lines.slice(from).some(fromBot('#ci', /completed successfully/)), 'the success was not announced');
  });

  test('it answers status in the channel when addressed, stays quiet when not, and answers in private', async () => {
    const from = ada.lines.length;
    ada.say('#ci', 'status unit'); // not addressed to the bot
    ada.say('#ci', 'mastrobot: last unit');
    await ada.waitFor(fromBot('#ci', /^unit: last build #2 completed successfully \(\d+ seconds? ago\)/), from);
    ada.say('mastrobot', 'status unit');
    await ada.waitFor(fromBot('ada', /^unit: offline$/), from);
    assert.equal(ada.lines.slice(from).filter((l) => l.prefix.startsWith('mastrobot!') && /^unit: /.test(l.params[1] ?? '')).length, 2, 'one answer each, none to the unaddressed line');
    ada.say('mastrobot', 'help force');
    await ada.waitFor(fromBot('ada', /^Usage: force build \[--branch=BRANCH\] \[--revision=REVISION\] BUILDER REASON/), from);
  });

  test('a permitted user forces a build through the control; another user is refused', async () => {
    const fromB = bob.lines.length;
    bob.say('#ci', 'mastrobot: force build unit please');
    await bob.waitFor(fromBot('#ci', /^Sorry bob, you are not allowed to use 'force'/), fromB);
    assert.equal(control.forced.length, 0);
    const from = ada.lines.length;
    ada.say('#ci', 'mastrobot: force build --branch=release-2 unit "check the release"');
    await ada.waitFor(fromBot('#ci', /^Force build of unit successfully requested \(buildset 99\)\.$/), from);
    assert.deepEqual(control.forced, [{ builderName: 'unit', reason: 'check the release', owner: 'ada on #ci', branch: 'release-2' }]);
    ada.say('mastrobot', 'force build --branch=$(rm) unit x');
    await ada.waitFor(fromBot('ada', /^Sorry, bad branch '\$\(rm\)'$/), from);
    assert.equal(control.forced.length, 1);
  });

  test('watch announces the end of a running build to the watcher; stop build stops it', async () => {
    const running = await f.startBuild({ builder: 'lint' });
    const from = bob.lines.length;
    bob.say('mastrobot', 'watch lint');
    await bob.waitFor(fromBot('bob', /^Watching build #1 of lint until it finishes\.\.\./), from);
    bob.say('mastrobot', 'stop build lint 1 enough');
    await bob.waitFor(fromBot('bob', /^Sorry bob, you are not allowed to use 'stop'/), from);
    const fromA = ada.lines.length;
    ada.say('mastrobot', 'stop build lint 1 wrong branch');
    await ada.waitFor(fromBot('ada', /^Build #1 of lint interrupted\.$/), fromA);
    assert.deepEqual(control.stopped, [{ buildid: running.buildid, reason: 'stopped: by ada: wrong branch' }]);
    await f.finishBuild(running, { builder: 'lint', results: Results.CANCELLED });
    await deliver(running.buildid, ReportEvents.buildFinished);
    await bob.waitFor(fromBot('bob', /^Build #1 of lint was cancelled: /), from);
  });

  test('while the bot is not connected an announcement waits (a retryable error that says why)', async () => {
    const offline = createReporter(reporters.irc({ host: '127.0.0.1', port: ircd.port, nick: 'otherbot', channels: ['#ci'], notifyEvents: ['finished'] }));
    const b = await f.build({ builder: 'unit', results: Results.FAILURE });
    const report = await offline.generators[0]!.generate(f.context(), { id: ++ids, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    const err = await offline.send(report!, f.context()).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && err.retryable, String(err));
    assert.match(err.message, /the IRC bot otherbot is not connected to 127\.0\.0\.1 \(the bot has not connected yet\); the announcement waits/);
  });
});

test('authz follows Buildbot: harmless commands allowed by default, force and stop refused unless named', () => {
  assert.equal(mayRun({}, 'status', 'x'), true);
  assert.equal(mayRun({}, 'force', 'x'), false);
  assert.equal(mayRun({ force: ['Ada'] }, 'force', 'ada'), true, 'nicks compare without case');
  assert.equal(mayRun({ force: ['ada'] }, 'force', 'bob'), false);
  assert.equal(mayRun({ '!': true }, 'stop', 'bob'), true);
  assert.equal(mayRun({ '': false }, 'status', 'bob'), false);
  assert.equal(mayRun({ '*': ['ada'] }, 'status', 'bob'), false);
  assert.equal(mayRun({ FORCE: true }, 'force', 'bob'), true, "Buildbot's upper-case keys");
  assert.deepEqual(splitArgs(`build unit "two words" 'and more'`), ['build', 'unit', 'two words', 'and more']);
});

test('notifyEvents: results, and changes against the previous build', () => {
  const ev = (...e: string[]) => new Set(e);
  assert.equal(notifiesFinished(ev('failure'), Results.FAILURE, null), true);
  assert.equal(notifiesFinished(ev('failure'), Results.SUCCESS, null), false);
  assert.equal(notifiesFinished(ev('problem'), Results.FAILURE, Results.SUCCESS), true);
  assert.equal(notifiesFinished(ev('problem'), Results.FAILURE, Results.FAILURE), false);
  assert.equal(notifiesFinished(ev('recovery'), Results.SUCCESS, Results.EXCEPTION), true);
  assert.equal(notifiesFinished(ev('successToFailure'), Results.FAILURE, Results.SUCCESS), true);
  assert.equal(notifiesFinished(ev('failureToSuccess'), Results.SUCCESS, Results.FAILURE), true);
  assert.equal(notifiesFinished(ev('failureToSuccess'), Results.SUCCESS, null), false);
  assert.equal(notifiesFinished(ev('worse'), Results.WARNINGS, Results.SUCCESS), true);
  assert.equal(notifiesFinished(ev('better'), Results.WARNINGS, Results.SUCCESS), false);
});

test('config: host, nick, channels, notifyEvents and authz are checked with their paths', () => {
  const got = reporterConfigIssues([
    reporters.irc({ nick: '1bot', channels: ['ci'], notifyEvents: ['failed'], authz: { force: 'ada' as never } } as never),
    reporters.irc({ name: 'b', host: 'irc.example.org', nick: 'bot', allowForce: true, authz: {} }),
  ]);
  assertIssues(got, [
    "reporters[0].host: is required: the IRC server's host name",
    'reporters[0].nick: is required: the bot\'s nick (letters, digits and []\\`_^{|}-, not starting with a digit or -), got the string "1bot"',
    "reporters[0].channels[0]: is not a channel name such as '#ci': the string \"ci\"",
    'reporters[0].notifyEvents[0]: unknown event the string "failed"; events are: started, finished, success, warnings, failure, exception, cancelled, problem, recovery, worse, better, worker, or pairs such as successToFailure',
    'reporters[0].authz.force: must be true, false or a list of nicks, got the string "ada"',
    "reporters[1].allowForce: give authz or allowForce (Buildbot's older switch), not both: authz: { force: [...], stop: [...] }",
  ]);
});
