import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { BuildMessageFormatter, legacyToInterpolate, templateIssue } from '../src/reporters/message/formatter.js';
import { buildMessageContext, type BuildMessageContext } from '../src/reporters/message/context.js';
import { loadBuildDetails } from '../src/reporters/build-details.js';
import { Results } from '../src/model/results.js';
import { Interpolate, renderer } from '../src/process/renderables.js';

describe('message formatters', () => {
  let f: ReportFixture; let c: BuildMessageContext;
  before(async () => {
    f = await ReportFixture.open();
    const b = await f.build({ builder: 'fmt', branch: 'release/2', results: Results.WARNINGS });
    const d = (await loadBuildDetails(f.data, b.buildid, { buildbotURL: 'http://ci/' }))!;
    c = await buildMessageContext(f.data, d, { event: 'finished', mode: ['warnings'], isBuildset: false, title: 'Test CI', buildbotURL: 'http://ci/', logTailLines: 40 });
  });
  after(async () => { await f.close(); });
  const none = async () => undefined;

  test("a template string reads build properties with %(prop:...)s and the message context with %(kw:...)s", async () => {
    const m = await new BuildMessageFormatter({ template: '%(kw:buildername)s #%(kw:number)s on %(prop:branch)s: %(kw:status_detected)s (%(prop:missing:-none)s)', subject: '[%(kw:result)s] %(prop:buildername)s' }).format(c, none);
    assert.equal(m.body, 'fmt #1 on release/2: problem in the build (none)');
    assert.equal(m.subject, '[warnings] fmt');
  });

  test("Buildbot's subject forms %(result)s, %(title)s, %(builder)s and %(projectName)s read the same values", async () => {
    assert.equal(legacyToInterpolate('Buildbot %(result)s in %(title)s on %(builder)s %(prop:x)s'), 'Buildbot %(kw:result)s in %(kw:title)s on %(kw:builder)s %(prop:x)s');
    const m = await new BuildMessageFormatter({}, { subject: 'Buildbot %(result)s in %(projectName)s on %(builder)s' }).format(c, none);
    assert.equal(m.subject, 'Buildbot warnings in Test CI on fmt');
  });

  test('a function or a renderable can be the template; with templateType json a function returns the document', async () => {
    const fn = await new BuildMessageFormatter({ template: (ctx) => `${ctx.buildername}: ${ctx.summary}` }).format(c, none);
    assert.equal(fn.body, 'fmt: Build Had Warnings: failed shell');
    const r = await new BuildMessageFormatter({ template: renderer(({ getProperty }) => `branch=${getProperty('branch')}`) }).format(c, none);
    assert.equal(r.body, 'branch=release/2');
    const i = await new BuildMessageFormatter({ template: Interpolate('%(src::branch)s') }).format(c, none);
    assert.equal(i.body, 'release/2');
    const j = await new BuildMessageFormatter({ templateType: 'json', template: (ctx) => ({ state: ctx.result, url: ctx.build_url }) }).format(c, none);
    assert.deepEqual(j.body, { state: 'warnings', url: c.build_url });
  });

  test('a subject that renders to several lines becomes one line', async () => {
    const m = await new BuildMessageFormatter({ subject: (ctx) => `${ctx.buildername}\n  failed` }).format(c, none);
    assert.equal(m.subject, 'fmt failed');
  });

  test('a broken template string is reported with what is wrong when the config is checked', () => {
    assert.match(templateIssue('%(nope:x)s')!, /unknown selector 'nope'/);
    assert.match(templateIssue('%(prop:x)')!, /missing conversion/);
    assert.match(templateIssue(42)!, /must be a template string/);
    assert.equal(templateIssue('%(prop:branch)s %(result)s'), null);
  });
});
