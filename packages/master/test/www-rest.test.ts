import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { Results } from '../src/model/results.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import { readFileSync } from 'node:fs';

for (const engine of engines()) {
  describe(`REST API and change hook on ${engine.name}`, () => {
    let db: Db; let data: DataConnector; let server: HttpServer; let base: string;
    let builderid: number; const buildids: number[] = []; let logid = 0; let stepid = 0;
    const get = async (path: string) => { const r = await fetch(base + path); return { status: r.status, body: await r.json() as any }; };

    before(async () => {
      db = await engine.open();
      data = new DataConnector(db, new InProcessMessageQueue(), { logChunkSize: 1024, logCompressMinSize: 64 });
      const masterid = await data.updates.masterActive('m');
      builderid = await data.updates.findBuilderId('runtests');
      await data.updates.updateBuilderList(masterid, ['runtests']);
      await data.updates.updateBuilderInfo(builderid, { description: 'the tests', tags: ['ci'] });
      const workerid = await data.updates.findWorkerId('w1');
      for (let i = 0; i < 5; i++) {
        const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: `r${i}`, builderids: [builderid], sourcestamps: [{ repository: 'repo', branch: 'main', revision: `rev${i}` }], properties: { i: [i, 'test'] } });
        await data.updates.claimBuildRequests([brids[builderid]!]);
        const { buildid } = await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: 'building' });
        buildids.push(buildid);
        await data.updates.setBuildProperty(buildid, 'n', i, 'test');
        if (i < 4) await data.updates.finishBuild(buildid, i % 2 ? Results.FAILURE : Results.SUCCESS);
      }
      const st = await data.updates.addStep({ buildid: buildids[0]!, name: 'compile' });
      stepid = st.stepid;
      logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
      for (let i = 0; i < 1000; i += 100) {
        await data.updates.appendLog(logid, Array.from({ length: 100 }, (_, j) => `out ${i + j}`).join('\n') + '\n', 'o');
      }
      await data.updates.appendLog(logid, 'err line\n', 'e');
      await data.updates.finishLog(logid);
      await data.updates.addBuildset({ scheduler: 's', reason: 'pending', builderids: [builderid], sourcestamps: [] });
      data.setPendingReasonProvider(() => ({ code: 'no_worker_connected', message: 'no worker is connected' }));
      server = await createHttpServer({ data, port: 0, host: '127.0.0.1', changeHooks: { base: {}, github: { secret: 'shh' } } });
      base = `http://127.0.0.1:${server.port}`;
    });
    after(async () => { await server.close(); await db.close(); });

    test('a collection answers in Buildbot shape with meta.total', async () => {
      const { status, body } = await get('/api/v2/builders');
      assert.equal(status, 200);
      assert.deepEqual(body.builders, [{ builderid, name: 'runtests', masterids: [1], description: 'the tests', tags: ['ci'] }]);
      assert.deepEqual(body.meta, { total: 1 });
    });

    test('order, limit and offset page the builds while meta.total counts them all', async () => {
      const { body } = await get(`/api/v2/builders/${builderid}/builds?order=-number&limit=2&offset=1`);
      assert.deepEqual(body.builds.map((b: any) => b.number), [4, 3]);
      assert.equal(body.meta.total, 5);
    });

    test('filters: equality, comparison, derived complete, and field selection', async () => {
      assert.deepEqual((await get('/api/v2/builds?results=2&field=number')).body.builds, [{ number: 2 }, { number: 4 }]);
      assert.deepEqual((await get('/api/v2/builds?number__gt=3&field=number')).body.builds, [{ number: 4 }, { number: 5 }]);
      assert.deepEqual((await get('/api/v2/builds?number__lt=2&field=number&field=complete')).body.builds, [{ number: 1, complete: true }]);
      const incomplete = (await get('/api/v2/builds?complete=false')).body;
      assert.deepEqual(incomplete.builds.map((b: any) => b.number), [5]);
      assert.equal(incomplete.meta.total, 1);
      assert.deepEqual((await get('/api/v2/builds?state_string__contains=uild&results__ne=0&field=number')).body.builds, [{ number: 2 }, { number: 4 }, { number: 5 }]);
      assert.deepEqual((await get('/api/v2/builders?tags__contains=ci&field=name')).body.builders, [{ name: 'runtests' }]);
    });

    test('entities answer as a one-element list; nested paths resolve builder/number/step/log', async () => {
      const one = await get(`/api/v2/builders/${builderid}/builds/1?property=*`);
      assert.equal(one.body.builds.length, 1);
      assert.equal(one.body.builds[0].buildid, buildids[0]);
      assert.deepEqual(one.body.builds[0].properties, { n: [0, 'test'] });
      assert.deepEqual((await get(`/api/v2/builds/${buildids[1]}`)).body.builds[0].properties, {});
      const steps = await get(`/api/v2/builds/${buildids[0]}/steps`);
      assert.deepEqual(steps.body.steps.map((s: any) => s.name), ['compile']);
      assert.equal((await get(`/api/v2/builders/${builderid}/builds/1/steps/compile`)).body.steps[0].stepid, stepid);
      assert.equal((await get(`/api/v2/builders/runtests/builds/1/steps/0/logs/stdio`)).body.logs[0].logid, logid);
      const logs = await get(`/api/v2/steps/${stepid}/logs`);
      assert.deepEqual(logs.body.logs.map((l: any) => [l.slug, l.num_lines, l.complete]), [['stdio', 1001, true]]);
    });

    test('build requests report their pending reason', async () => {
      const { body } = await get(`/api/v2/builders/${builderid}/buildrequests?claimed=false`);
      assert.equal(body.buildrequests.length, 1);
      assert.deepEqual(body.buildrequests[0].pending_reason, { code: 'no_worker_connected', message: 'no worker is connected' });
      assert.equal((await get('/api/v2/buildrequests?claimed=true')).body.meta.total, 5);
    });

    test('log contents return a line range; raw streams the whole multi-chunk log without stream prefixes', async () => {
      const chunks = await db.kysely.selectFrom('logchunks').selectAll().where('logid', '=', logid).execute();
      assert.ok(chunks.filter((c) => c.compressed === 1).length > 3, 'the log spans several compressed chunks');
      const c = await get(`/api/v2/logs/${logid}/contents?offset=998&limit=3`);
      assert.deepEqual(c.body.logchunks, [{ logid, firstline: 998, content: 'oout 998\noout 999\neerr line\n' }]);
      const r = await fetch(`${base}/api/v2/logs/${logid}/raw`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-disposition'), 'attachment; filename=stdio');
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await r.text();
      const lines = text.split('\n');
      assert.equal(lines.length, 1002);
      assert.equal(lines[0], 'out 0');
      assert.equal(lines[999], 'out 999');
      assert.equal(lines[1000], 'err line');
    });

    test('unknown paths and ids are 404 and bad filters are 400, as JSON errors', async () => {
      const a = await get('/api/v2/nonsense');
      assert.equal(a.status, 404); assert.match(a.body.error, /no such resource/);
      const b = await get('/api/v2/builds/99999');
      assert.equal(b.status, 404); assert.ok(b.body.error);
      const c = await get('/api/v2/builds?nosuchfield=1');
      assert.equal(c.status, 400); assert.match(c.body.error, /unknown field "nosuchfield"/);
      const d = await get('/api/v2/builds?number=abc');
      assert.equal(d.status, 400); assert.match(d.body.error, /expects an integer/);
      assert.equal((await get('/api/v2/builds?limit=-1')).status, 400);
    });

    test('change_hook/base accepts Buildbot form fields and adds the change', async () => {
      const form = new URLSearchParams({
        author: 'Jane <jane@example.com>', files: JSON.stringify(['a.c', 'b.c']), comments: 'fix', revision: 'deadbeef',
        when_timestamp: '1700000000', branch: 'main', category: 'cat', revlink: 'http://x/deadbeef', properties: JSON.stringify({ ticket: 42 }),
        repository: 'https://example.com/repo.git', project: 'proj', codebase: 'cb',
      });
      const r = await fetch(`${base}/change_hook/base`, { method: 'POST', body: form });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), '1 change found');
      const { body } = await get('/api/v2/changes?revision=deadbeef');
      const ch = body.changes[0];
      assert.deepEqual([ch.author, ch.files, ch.comments, ch.when_timestamp, ch.branch, ch.category, ch.revlink, ch.repository, ch.project, ch.codebase],
        ['Jane <jane@example.com>', ['a.c', 'b.c'], 'fix', 1700000000, 'main', 'cat', 'http://x/deadbeef', 'https://example.com/repo.git', 'proj', 'cb']);
      assert.deepEqual(ch.properties, { ticket: [42, 'Change'] });
    });

    test('change_hook/base also takes a JSON body; bad input is a 400 and a disabled dialect a 404', async () => {
      const ok = await fetch(`${base}/change_hook/base`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ author: 'bob', files: ['x'], revision: 'cafe', branch: 'dev' }) });
      assert.equal(ok.status, 200);
      assert.deepEqual((await get('/api/v2/changes?revision=cafe')).body.changes[0].files, ['x']);
      const bad = await fetch(`${base}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ author: 'x', files: 'not json' }) });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /field files must be JSON/);
      const noAuthor = await fetch(`${base}/change_hook/base`, { method: 'POST', body: new URLSearchParams({ comments: 'x' }) });
      assert.equal(noAuthor.status, 400);
      const gh = await fetch(`${base}/change_hook/gitlab`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(gh.status, 404);
    });

    test('a dialect enabled in changeHooks (github) is mounted and records changes through the data API', async () => {
      const body = readFileSync(new URL('./fixtures/hooks/github-push.json', import.meta.url), 'utf8');
      const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'www-test-1', 'x-hub-signature-256': hubSignature256('shh', body) };
      const r = await fetch(`${base}/change_hook/github`, { method: 'POST', body, headers });
      assert.equal(r.status, 200);
      const ids = ((await r.json()) as any).changes as number[];
      assert.equal(ids.length, 2);
      const ch = (await get(`/api/v2/changes/${ids[0]}`)).body.changes[0];
      assert.equal(ch.revision, '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c');
      const forged = await fetch(`${base}/change_hook/github`, { method: 'POST', body, headers: { ...headers, 'x-github-delivery': 'www-test-2', 'x-hub-signature-256': hubSignature256('wrong', body) } });
      assert.equal(forged.status, 403);
    });
  });
}
