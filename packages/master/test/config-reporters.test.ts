/**
 * `reporters: [...]` and `reportDelivery` in the config: the TypeScript helpers and the YAML form
 * give the same specs, and every mistake is reported with its path and what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from './support/temp-dir.js';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { formatIssue } from '../src/model/config-errors.js';
import { loadConfig, tryLoadConfig } from '../src/config/load.js';
import { defineConfig, worker, builder } from '../src/config/factories.js';
import { reporters, generators } from '../src/reporters/specs.js';
import { steps } from '../src/steps/index.js';
import { util } from '../src/config/util.js';
import { isRenderable } from '../src/process/step-types.js';

const opts = { masterDir: '/tmp/m' };
const base = { workers: [worker('w0', 'p')], builders: [builder({ name: 'test', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] })] };
const issues = (raw: object) => checkConfig(defineConfig({ ...base, ...raw }), opts).issues.map(formatIssue);

/** A master directory holding one YAML config, removed when the test ends. */
function yamlMaster(t: { after(fn: () => void): void }, text: string): string {
  const dir = testTempDir(t, 'config-reporters');
  writeFileSync(join(dir, 'master.config.yaml'), text);
  return dir;
}

test('a config without reporters has none and the documented delivery defaults', () => {
  const c = normaliseConfig(defineConfig(base), opts);
  assert.deepEqual(c.reporters, []);
  assert.deepEqual(c.reportDelivery, { concurrency: 4, retryFor: 21600, retryInitialDelay: 2, retryMaxDelay: 300, attemptTimeout: 120, retention: 604800, pollInterval: 10 });
});

test('reporters and their generators are taken as written', () => {
  const c = normaliseConfig(defineConfig({
    ...base,
    reporters: [
      reporters.httpStatusPush({ url: 'https://dash.example.org/hook', auth: { user: 'ci', password: util.secret('hook') } }),
      reporters.mailNotifier({ fromaddr: 'ci@example.org', lookup: 'example.org', generators: [generators.buildStatus({ mode: 'problem', builders: ['test'] }), generators.workerMissing()] }),
    ],
    reportDelivery: { concurrency: 2, retryFor: 600 },
  }), opts);
  assert.deepEqual(c.reporters.map((r) => r.kind), ['httpStatusPush', 'mailNotifier']);
  assert.deepEqual(c.reporters[1]!.generators!.map((g) => g.kind), ['buildStatus', 'workerMissing']);
  assert.equal(c.reportDelivery.concurrency, 2);
  assert.equal(c.reportDelivery.retryFor, 600);
});

test('mistakes are reported with their paths and what to do', () => {
  const got = issues({
    reporters: [
      { kind: 'gitHubStatus' },
      reporters.httpStatusPush({ url: 'ftp://x', headrs: {} } as any),
      reporters.httpStatusPush({ url: 'https://user:pw@example.org/' }),
      reporters.mailNotifier({ fromaddr: 'not-an-address', smtpUser: 'u', generators: [generators.buildStatus({ mode: ['all', 'bogus'] as any, builders: ['tset'] }), { kind: 'nope' } as any] }),
      reporters.mailNotifier({ fromaddr: 'ci@example.org', extraRecipients: ['x'], lookup: 'a@b', generators: [generators.buildStatus({ messageFormatter: { template: '%(prop:x)' } })] }),
    ],
    reportDelivery: { concurency: 3, retryInitialDelay: 10, retryMaxDelay: 5 } as any,
  });
  const expect = [
    'reporters[0].kind: unknown reporter kind "gitHubStatus"; kinds are: httpStatusPush, mailNotifier, gitHubStatusPush, gitHubCommentPush, gitLabStatusPush, gerritStatusPush, chatWebhook, irc',
    "reporters[1].headrs: unknown option; did you mean 'headers'?",
    'reporters[1].url: must use http:// or https://, got ftp:',
    "reporters[2].url: must not hold credentials (they would be shown in logs): use the reporter's auth or headers option",
    'reporters[3].fromaddr: is not a valid mail address: "not-an-address"',
    'reporters[3].smtpPassword: give smtpUser and smtpPassword together (or neither to send without logging in)',
    "reporters[3].generators[0].mode[0]: 'all' stands alone: give mode: 'all' rather than a list holding it",
    'reporters[3].generators[0].mode[1]: unknown mode the string "bogus"; modes are: all, failing, passing, problem, warnings, exception, cancelled, change',
    'reporters[3].generators[0].builders[0]: unknown builder \'tset\'; builders are: test',
    'reporters[3].generators[1]: must be a generator (generators.buildStatus({...}), generators.buildStartEnd({...}), generators.buildSetStatus({...}), generators.workerMissing({...})), got an object',
    'reporters[4].extraRecipients[0]: is not a valid mail address: the string "x"',
    "reporters[4].lookup: must be a mail domain such as 'example.org' (no '@'), got \"a@b\"",
    'reporters[4].generators[0].messageFormatter.template: Interpolate("%(prop:x)"): missing conversion after \'%(prop:x)\' (add \'s\')',
    'reporters[4].name: reporters[3] is named "mailNotifier" already (a reporter is named after its kind by default): give each reporter its own name (its queued reports are kept under it)',
    "reportDelivery.concurency: unknown option; did you mean 'concurrency'?",
    'reportDelivery.retryMaxDelay: must be at least retryInitialDelay (10), got 5',
  ];
  for (const e of expect) assert.ok(got.includes(e), `missing:\n  ${e}\ngot:\n  ${got.join('\n  ')}`);
});

test('the YAML form gives the same reporters, with { secret: name } as util.secret(name)', async (t) => {
  const yamlDir = yamlMaster(t, `
workers: [{ name: w0, password: p }]
builders:
  - name: test
    workerNames: [w0]
    steps: [{ shell: { command: ['true'] } }]
reporters:
  - httpStatusPush:
      url: https://dash.example.org/hook
      auth: { user: ci, password: { secret: hook } }
      generators:
        - buildStartEnd: { builders: [test] }
  - mailNotifier:
      fromaddr: ci@example.org
      smtpUser: ci
      smtpPassword: { secret: smtp }
      lookup: { alice: alice@corp.example }
      generators:
        - buildStatus: { mode: problem, addLogs: [stdio], messageFormatter: { subject: '%(prop:buildername)s broke', templateType: html } }
        - workerMissing:
reportDelivery: { retryFor: 60 }
`);
  const c = await loadConfig(yamlDir);
  assert.deepEqual(c.reporters.map((r) => [r.kind, r.generators?.map((g) => g.kind)]), [['httpStatusPush', ['buildStartEnd']], ['mailNotifier', ['buildStatus', 'workerMissing']]]);
  const http = c.reporters[0] as any;
  assert.ok(isRenderable(http.auth.password), 'the password is a secret reference');
  assert.equal(http.auth.password.secretName, 'hook');
  assert.ok(isRenderable((c.reporters[1] as any).smtpPassword));
  assert.equal((c.reporters[1]!.generators![0] as any).messageFormatter.subject, '%(prop:buildername)s broke');
  assert.equal(c.reportDelivery.retryFor, 60);
});

test('a YAML mistake in a reporter is reported with its path and line', async (t) => {
  const dir = yamlMaster(t, `
workers: [{ name: w0, password: p }]
reporters:
  - mailNotifier:
      fromaddr: ci@example.org
      relayhots: smtp.example.org
  - httpStatusPush: { url: 42 }
`);
  const r = await tryLoadConfig(dir);
  assert.equal(r.config, null);
  const got = r.issues.map((i) => `${i.line}: ${formatIssue(i)}`);
  assert.ok(got.some((g) => /^6: reporters\[0\]\.mailNotifier\.relayhots: unknown option; did you mean 'relayhost'\?/.test(g)), got.join('\n'));
  assert.ok(got.some((g) => /^7: reporters\[1\]\.httpStatusPush\.url: must be a string/.test(g)), got.join('\n'));
});

test('the forge and chat reporters in YAML give the same specs, with { secret: name } for their credentials', async (t) => {
  const dir = yamlMaster(t, `
workers: [{ name: w0, password: p }]
builders:
  - name: test
    workerNames: [w0]
    steps: [{ shell: { command: ['true'] } }]
reporters:
  - gitHubStatusPush: { token: { secret: github }, context: 'ci/%(prop:buildername)s', baseURL: 'https://ghe.example.org/api/v3' }
  - gitHubCommentPush: { token: { secret: github } }
  - gitLabStatusPush: { token: { secret: gitlab }, baseURL: 'https://gitlab.example.org' }
  - gerritStatusPush:
      server: review.example.org
      username: ci
      identityFile: /etc/mastro/gerrit_key
      labels: { failure: { Verified: -1, Code-Review: -1 } }
  - gerritStatusPush: { name: gerrit-rest, baseURL: 'https://review.example.org', auth: { user: ci, password: { secret: gerrit } } }
  - chatWebhook: { url: { secret: slack-hook } }
  - chatWebhook: { name: matrix, url: 'https://matrix.example.org', format: matrix, token: { secret: matrix }, room: '!ci:example.org' }
  - irc:
      host: irc.example.org
      nick: mastro
      channels: ['#ci', { channel: '#ops', password: key }]
      notifyEvents: [failure, recovery]
      authz: { force: [alice], stop: [alice] }
`);
  const c = await loadConfig(dir);
  assert.deepEqual(c.reporters.map((r) => r.kind), ['gitHubStatusPush', 'gitHubCommentPush', 'gitLabStatusPush', 'gerritStatusPush', 'gerritStatusPush', 'chatWebhook', 'chatWebhook', 'irc']);
  const r = c.reporters as any[];
  for (const [i, key] of [[0, 'token'], [1, 'token'], [2, 'token'], [5, 'url'], [6, 'token']] as const) assert.ok(isRenderable(r[i][key]), `reporters[${i}].${key} is a secret reference`);
  assert.ok(isRenderable(r[4].auth.password));
  assert.deepEqual(r[3].labels, { failure: { Verified: -1, 'Code-Review': -1 } });
  assert.deepEqual(r[7].authz, { force: ['alice'], stop: ['alice'] });
});
