/**
 * The try scheduler's HTTP endpoint (schedulers/try.ts, `tryUserpass`) on the real data layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createScheduler, type TryScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { schedulersOnDataLayer } from './support/schedulers-data-layer.js';

test('the try endpoint refuses a wrong password, an oversized body and a patch without base revision', async () => {
  const s = await schedulersOnDataLayer();
  const t = createScheduler(schedulers.tryUserpass({ name: 'try', builderNames: ['t'], port: 0, userpass: [['alice', 's3cret']], maxRequestBytes: 2048 }), s.services) as TryScheduler;
  await t.start();
  const url = `http://127.0.0.1:${t.port}/try`;
  const auth = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  const good = { sourcestamps: [{ revision: 'abcdef12', patch: { level: 1, body: Buffer.from('diff').toString('base64') } }] };
  let r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 'wrong') }, body: JSON.stringify(good) });
  assert.equal(r.status, 401);
  r = await fetch(url, { method: 'POST', body: JSON.stringify(good) });
  assert.equal(r.status, 401);
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify({ ...good, pad: 'x'.repeat(4096) }) });
  assert.equal(r.status, 413);
  assert.match((await r.json()).error, /maxRequestBytes/);
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify({ sourcestamps: [{ patch: good.sourcestamps[0]!.patch }] }) });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /sourcestamps\[0\]\.revision/);
  assert.equal(s.buildsets.length, 0, 'nothing was scheduled');
  r = await fetch(url, { method: 'POST', headers: { authorization: auth('alice', 's3cret') }, body: JSON.stringify(good) });
  assert.equal(r.status, 201);
  const { bsid } = await r.json();
  const [ss] = await s.data.getSourceStampsForBuildset(bsid);
  assert.equal(ss!.revision, 'abcdef12');
  assert.equal(ss!.patch!.body.toString(), 'diff');
  // A request target that is no URL is the client's mistake (400), not the master's (500).
  const raw = await new Promise<string>((resolve, reject) => {
    let got = '';
    const c = connect(t.port!, '127.0.0.1', () => c.write(`POST http://[bad HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: ${auth('alice', 's3cret')}\r\nContent-Length: 0\r\n\r\n`));
    c.on('data', (d) => { got += d.toString(); });
    c.on('error', reject);
    c.on('close', () => resolve(got));
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  assert.match(raw, /not a valid request target/);
  await t.stop();
});
