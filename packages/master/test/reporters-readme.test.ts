/**
 * The README's reporter examples work as written: the TypeScript ones are valid reporters of a
 * config, the YAML one loads, and the GitHub-status example, pointed at the GitHub stand-in,
 * posts its commit statuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reporters, generators } from '../src/reporters/specs.js';
import { util } from '../src/config/util.js';
import { loadConfig } from '../src/config/load.js';
import { createReporter } from '../src/reporters/registry.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import type { ReporterSpec } from '../src/reporters/base.js';
import { reporterConfigIssues } from './support/reporter-config.js';
import { ReportFixture } from './support/report-fixtures.js';
import { testTempDir } from './support/temp-dir.js';
import { startGitHubStandin } from './support/standins/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Reporters'), readme.indexOf('\n## ', readme.indexOf('## Reporters') + 5));
const blocks = (lang: string) => [...section.matchAll(new RegExp('```' + lang + '\\n([^]*?)```', 'g'))].map((m) => m[1]!);

/** The reporters a README block writes (`reporters: [...]` or a list of `reporters.x(...)`, ). */
function evaluate(block: string): ReporterSpec[] {
  const list = block.trim().replace(/^reporters:\s*\[/, '').replace(/\],?\s*$/, '');
  return new Function('reporters', 'generators', 'util', `return [${list}];`)(reporters, generators, util) as ReporterSpec[];
}

test("the README's TypeScript reporter examples are valid reporters", () => {
  const ts = blocks('ts');
  assert.ok(ts.length >= 2, 'the section has its examples');
  const specs = ts.flatMap(evaluate);
  assert.deepEqual([...new Set(specs.map((s) => s.kind))].sort(), ['chatWebhook', 'gerritStatusPush', 'gitHubCommentPush', 'gitHubStatusPush', 'gitLabStatusPush', 'httpStatusPush', 'irc', 'mailNotifier']);
  assert.deepEqual(reporterConfigIssues(specs), []);
});

test("the README's YAML reporter example loads", async (t) => {
  const dir = testTempDir(t, 'readme-yaml');
  const [yaml] = blocks('yaml');
  writeFileSync(join(dir, 'master.config.yaml'), `workers: [{ name: w0, password: p }]\n${yaml}`);
  const c = await loadConfig(dir);
  assert.deepEqual(c.reporters.map((r) => r.kind), ['gitHubStatusPush', 'mailNotifier']);
});

test("the README's GitHub-status example posts pending and success statuses", async () => {
  const gh = evaluate(blocks('ts')[0]!).find((s) => s.kind === 'gitHubStatusPush')!;
  const { server, github } = await startGitHubStandin({ token: 'readme-token-123', repos: ['o/r'] });
  const f = await ReportFixture.open();
  try {
    const r = createReporter({ ...gh, baseURL: server.url });
    const ctx = f.context({ getSecret: async (n) => (n === 'github-token' ? 'readme-token-123' : undefined) });
    const plan = { builder: 'test', revision: 'f'.repeat(40), repository: 'git@github.com:o/r.git' };
    const b = await f.startBuild(plan);
    await r.send((await r.generators[0]!.generate(ctx, { id: 1, kind: ReportEvents.buildStarted, subjectId: b.buildid, payload: null }))!, ctx);
    await f.finishBuild(b, plan);
    await r.send((await r.generators[0]!.generate(ctx, { id: 2, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null }))!, ctx);
    assert.deepEqual(github.statuses.map((s) => [s.state, s.context]), [['pending', 'ci/test'], ['success', 'ci/test']]);
  } finally { await server.close(); await f.close(); }
});
