/**
 * The IRC bot of a real master, against Debian's ngircd started by the test: a real master and
 * mastro-worker, two people in the channel. The bot joins, announces a failed build, answers
 * `status`, starts a build when a permitted user says `force build`, and refuses another user.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, freePort, type MasterProcess } from './support/master-harness.js';
import { postBaseChange, finishedBuilds, buildsOf } from './support/change-e2e.js';
import { TestIrcd, IrcTestUser, ircdUnavailable, type SeenLine } from '../packages/master/test/support/ircd.js';

const skip = ircdUnavailable();

describe('the IRC bot of a real master', { skip, timeout: 180_000 }, () => {
  let env: TestEnv; let ircd: TestIrcd; let master: MasterProcess; let alice: IrcTestUser; let mallory: IrcTestUser;

  before(async () => {
    env = new TestEnv();
    ircd = await TestIrcd.start();
    alice = await IrcTestUser.connect(ircd.port, 'alice');
    mallory = await IrcTestUser.connect(ircd.port, 'mallory');
    await alice.join('#ci');
    await mallory.join('#ci');
    const port = await freePort();
    env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers, reporters } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${port} } },
  www: { port: 0, host: '127.0.0.1', changeHooks: { base: {} } },
  workers: [worker('w0', 'pass')],
  schedulers: [
    schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['unit'] }),
    schedulers.force({ name: 'force', builderNames: ['unit'] }),
  ],
  builders: [builder({ name: 'unit', workerNames: ['w0'], collapseRequests: false, steps: [steps.shell({ name: 'tests', command: ['sh', '-c', 'echo 3 tests failed; exit 1'] })] })],
  reporters: [reporters.irc({
    host: '127.0.0.1', port: ${ircd.port}, nick: 'mastro', channels: ['#ci'],
    notifyEvents: ['failure'], authz: { force: ['alice'] }, useColors: false,
  })],
});
`);
    const joined = alice.waitFor((l) => l.command === 'JOIN' && l.prefix.startsWith('mastro!'));
    master = await env.startMaster();
    env.startWorker('w0', port);
    await joined;
  });

  after(async () => { await env?.cleanup(); await alice?.quit(); await mallory?.quit(); await ircd?.close(); });

  const fromBot = (to: string, re: RegExp) => (l: SeenLine) => l.command === 'PRIVMSG' && l.prefix.startsWith('mastro!') && l.params[0] === to && re.test(l.params[1] ?? '');

  it('joins, announces a failure, answers status, forces a build for a permitted user and refuses another', async () => {
    await postBaseChange(master.ready.httpPort!, { author: 'alice', comments: 'Break it', revision: 'abc123', branch: 'main', repository: 'https://example.org/app.git' });
    await alice.waitFor(fromBot('#ci', /^Build #1 of unit failed: .* http:\/\/[^ ]+#\/builders\/\d+\/builds\/1 {2}blamelist: alice$/));

    alice.say('#ci', 'mastro: status');
    await alice.waitFor(fromBot('#ci', /^unit: idle, last build #1 \d+ seconds? ago, failed: /));

    const fromM = mallory.lines.length;
    mallory.say('#ci', 'mastro: force build unit let me in');
    await mallory.waitFor(fromBot('#ci', /^Sorry mallory, you are not allowed to use 'force'/), fromM);

    const fromA = alice.lines.length;
    alice.say('mastro', 'force build unit checking from chat');
    await alice.waitFor(fromBot('alice', /^Force build of unit successfully requested \(buildset \d+\)\.$/), fromA);
    const builds = await finishedBuilds(master, 'unit', 2);
    assert.equal(builds.length, 2, 'mallory\'s force made no build');
    assert.equal(builds[1]!.properties.owner?.[0], 'alice');
    assert.equal(builds[1]!.properties.reason?.[0], 'checking from chat');
    await alice.waitFor(fromBot('#ci', /^Build #2 of unit failed: /), fromA);
    assert.equal((await buildsOf(master, 'unit')).length, 2);
  });
});
