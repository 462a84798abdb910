import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { Results } from '../src/model/results.js';
import { PLURAL, RESOURCE_SCHEMAS, ROUTES } from '../src/www/api/schemas.js';

describe('REST: filters, errors, JSON-RPC envelope and the generated OpenAPI document', () => {
  let db: Db; let data: DataConnector; let server: HttpServer; let base: string; let builderid: number;
  const get = async (path: string) => { const r = await fetch(base + path); return { status: r.status, body: await r.json() as any }; };
  const post = (path: string, body: string, type = 'application/json') => fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body });

  before(async () => {
    db = await openDatabase('sqlite::memory:');
    data = new DataConnector(db, new InProcessMessageQueue());
    const masterid = await data.updates.masterActive('m');
    builderid = await data.updates.findBuilderId('runtests');
    await data.updates.updateBuilderList(masterid, ['runtests']);
    const workerid = await data.updates.findWorkerId('w1');
    for (let i = 0; i < 4; i++) {
      const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: `r${i}`, builderids: [builderid], sourcestamps: [{ repository: 'repo', branch: i % 2 ? 'feature/x' : 'main', revision: `rev${i}` }] });
      await data.updates.claimBuildRequests([brids[builderid]!]);
      const { buildid } = await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: i === 3 ? 'compiling stuff' : 'building' });
      if (i < 3) await data.updates.finishBuild(buildid, i === 1 ? Results.FAILURE : Results.SUCCESS);
    }
    await data.updates.addChange({ author: 'Ada <ada@example.com>', comments: 'fix the parser', branch: 'main', files: ['src/parser.ts', 'README'] });
    await data.updates.addChange({ author: 'Bob <bob@example.com>', comments: 'docs', branch: 'docs', files: ['README'] });
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('complete=true, results filters and __ne/__lt/__gt/__contains combine, with meta.total', async () => {
    assert.equal((await get('/api/v2/builds?complete=true')).body.meta.total, 3);
    assert.equal((await get('/api/v2/builds?complete=true&results=0')).body.meta.total, 2);
    assert.equal((await get('/api/v2/builds?results__ne=0&complete=true')).body.meta.total, 1);
    assert.deepEqual((await get('/api/v2/builds?number__gt=1&number__lt=4&order=number')).body.builds.map((b: any) => b.number), [2, 3]);
    assert.deepEqual((await get('/api/v2/builds?state_string__contains=compil')).body.builds.map((b: any) => b.number), [4]);
    assert.deepEqual((await get('/api/v2/changes?comments__contains=parser&field=author')).body, { changes: [{ author: 'Ada <ada@example.com>' }], meta: { total: 1 } });
    assert.equal((await get('/api/v2/changes?files__contains=README')).body.meta.total, 2);
    const page = await get('/api/v2/builds?order=-number&limit=1&offset=1&field=number&field=results');
    assert.deepEqual(page.body, { builds: [{ number: 3, results: 0 }], meta: { total: 4 } });
  });

  test('errors are JSON with the right status', async () => {
    const unknownField = await get('/api/v2/builds?colour=red');
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error, /unknown field "colour"/);
    assert.equal((await get('/api/v2/builds?limit=-1')).status, 400);
    assert.equal((await get('/api/v2/builds/999')).status, 404);
    assert.equal((await get('/api/v2/nothing')).status, 404);
    const nf = await get('/no/such/page');
    assert.equal(nf.status, 404);
    assert.match(nf.body.error, /nothing at GET/);
  });

  test('control POSTs answer JSON-RPC errors: bad JSON -32700, bad envelope -32600, unknown path 404, no engine 501', async () => {
    let r = await post('/api/v2/builds/1', '{not json');
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as any).error.code, -32700);
    r = await post('/api/v2/builds/1', JSON.stringify({ method: 'stop', id: 1 }));
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: "JSON-RPC version must be '2.0'" } });
    r = await post('/api/v2/builds/1', JSON.stringify({ jsonrpc: '2.0', method: 'stop', id: 3 }));
    assert.equal(r.status, 501, 'no engine attached');
    assert.equal(((await r.json()) as any).id, 3);
    r = await post('/api/v2/builds/1', 'jsonrpc=2.0', 'application/x-www-form-urlencoded');
    assert.equal(r.status, 415);
  });

  test('the OpenAPI document is generated from the route table and every response matches its schema', async () => {
    const { status, body: doc } = await get('/api/v2/openapi.json');
    assert.equal(status, 200);
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), ROUTES.map((r) => r.path).sort());
    assert.deepEqual(doc.paths['/builds/{buildid}'].post.requestBody.content['application/json'].schema.properties.method.enum, ['stop', 'rebuild']);
    const ajv = new Ajv2020({ strict: false });
    const validators = Object.fromEntries(Object.entries(RESOURCE_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));
    const paths: Array<[string, string]> = [
      ['/api/v2/builders', 'builder'], ['/api/v2/builds', 'build'], ['/api/v2/buildrequests', 'buildrequest'], ['/api/v2/buildsets', 'buildset'],
      ['/api/v2/changes', 'change'], ['/api/v2/sourcestamps', 'sourcestamp'], ['/api/v2/workers', 'worker'], ['/api/v2/masters', 'master'],
      [`/api/v2/builders/${builderid}/builds`, 'build'],
    ];
    for (const [p, type] of paths) {
      const { body } = await get(p);
      const items = body[PLURAL[type]!];
      assert.ok(items.length > 0, p);
      for (const it of items) assert.ok(validators[type]!(it), `${p}: ${ajv.errorsText(validators[type]!.errors)}`);
    }
  });

  test('forceschedulers is an empty collection on a server without an engine', async () => {
    assert.deepEqual((await get('/api/v2/forceschedulers')).body, { forceschedulers: [], meta: { total: 0 } });
  });
});
