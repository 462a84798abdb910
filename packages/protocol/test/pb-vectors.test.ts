/**
 * The published PB conformance vectors (vectors/pb-*.json): up to date with their cases, agreed by
 * Twisted itself (Debian's python3-twisted decodes and encodes every banana and jelly vector the
 * same way), met by our decoders, and the session replayed byte for byte against a live broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BananaDecoder, type BananaValue } from '../src/pb/banana-decoder.js';
import { encodeBanana } from '../src/pb/banana-encoder.js';
import { Broker } from '../src/pb/broker.js';
import { md5Digest, portalRoot, respond } from '../src/pb/cred.js';
import { PbProtocolError } from '../src/pb/errors.js';
import { unjelly } from '../src/pb/jelly-decoder.js';
import { Referenceable } from '../src/pb/referenceable.js';
import { pbVectorFiles, sessionVectors } from '../scripts/pb-vectors-build.js';
import { bananaInput, type Tagged } from '../scripts/pb-tagged.js';
import { pbServer, rawClient } from './support/pb-pair.js';
import { twisted } from './support/twisted.js';

const vectorsDir = new URL('../vectors/', import.meta.url);
const load = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, vectorsDir), 'utf8')) as T;

interface Case { name: string; dialect?: 'pb' | 'none' | null; value?: Tagged; hex: string; code?: string; twisted?: string }
const banana = load<{ vectors: Case[]; refusals: Case[] }>('pb-banana.json');
const jellyFile = load<{ vectors: Case[]; refusals: Case[] }>('pb-jelly.json');

function decode(hex: string, dialect: 'pb' | 'none' | null = 'pb'): BananaValue[] {
  const decoder = new BananaDecoder();
  decoder.dialect = dialect;
  const out: BananaValue[] = [];
  decoder.push(Buffer.from(hex, 'hex'), (v) => out.push(v));
  return out;
}

/** What our unjelly returns for a tagged Python value: tuples are arrays, dicts objects with string keys. */
function decodedForm(t: Tagged): unknown {
  if ('b' in t) return Buffer.from(t.b, 'hex');
  if ('s' in t) return t.s;
  if ('i' in t) { const n = BigInt(t.i); return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n; }
  if ('f' in t) return Number(t.f);
  if ('B' in t) return t.B;
  if ('n' in t) return null;
  if ('l' in t) return t.l.map(decodedForm);
  if ('t' in t) return t.t.map(decodedForm);
  return Object.fromEntries(t.d.map(([k, v]) => [String(decodedForm(k)), decodedForm(v)]));
}

test('vectors/pb-*.json are exactly what the cases build (regenerate with scripts/generate-pb-vectors.ts)', () => {
  for (const [file, build] of Object.entries(pbVectorFiles)) assert.deepEqual(load(file), JSON.parse(JSON.stringify(build())), `vectors/${file} is stale`);
});

test('every banana vector: Twisted decodes its bytes to its value and encodes its value to its bytes; so do we', () => {
  const decoded = twisted<Tagged>('banana-decode', banana.vectors.map((v) => ({ hex: v.hex, dialect: v.dialect })));
  const encoded = twisted<string>('banana-encode', banana.vectors.map((v) => ({ value: v.value, dialect: v.dialect })));
  banana.vectors.forEach((v, i) => {
    assert.deepEqual(decoded[i], v.value, `Twisted decodes ${v.name}`);
    assert.equal(encoded[i], v.hex, `Twisted encodes ${v.name}`);
    const ours = decode(v.hex, v.dialect!);
    assert.equal(ours.length, 1, v.name);
    assert.equal(encodeBanana(bananaInput(v.value!), { vocabulary: v.dialect === 'pb' }).toString('hex'), v.hex, v.name);
  });
});

test('every banana refusal is refused by us with its code, and by Twisted', () => {
  const theirs = twisted<{ error?: string }>('banana-decode', banana.refusals.map((v) => ({ hex: v.hex, dialect: v.dialect ?? 'none' })));
  banana.refusals.forEach((v, i) => {
    assert.throws(() => decode(v.hex, v.dialect ?? null), (err: unknown) => err instanceof PbProtocolError && err.code === v.code, v.name);
    assert.ok(theirs[i]!.error, `Twisted refuses ${v.name}`);
  });
});

test('every jelly vector: Twisted unjellies it to its value, and we to the same in JavaScript', () => {
  const theirs = twisted<Tagged>('unjelly', jellyFile.vectors.map((v) => v.hex));
  jellyFile.vectors.forEach((v, i) => {
    assert.deepEqual(theirs[i], v.value, `Twisted unjellies ${v.name}`);
    const [sexp] = decode(v.hex);
    assert.deepEqual(unjelly(sexp!), decodedForm(v.value!), v.name);
  });
});

test('every jelly refusal is refused by us with its code, and by Twisted unless the vector says what it does instead', () => {
  const theirs = twisted<{ error?: string }>('unjelly', jellyFile.refusals.map((v) => v.hex));
  jellyFile.refusals.forEach((v, i) => {
    const [sexp] = decode(v.hex);
    assert.throws(() => unjelly(sexp!), (err: unknown) => err instanceof PbProtocolError && err.code === v.code, v.name);
    if (v.twisted) assert.equal(theirs[i]!.error, undefined, `Twisted accepts ${v.name}, as the vector says`);
    else assert.match(theirs[i]!.error ?? '', v.code === 'MASTRO_PB_INSECURE_JELLY' ? /InsecureJelly/ : /Error/, `Twisted refuses ${v.name}`);
  });
});

test('the session vector replays against a live broker byte for byte (the challenge aside)', async () => {
  const session = sessionVectors();
  const changes: unknown[] = [];
  const srv = await pbServer((socket) => {
    const broker = new Broker(socket, { role: 'server' });
    broker.setNamedObject('root', portalRoot({
      passwordDigest: (u) => (u === session.user ? md5Digest(session.password) : null),
      perspective: () => new Referenceable({ addChange: ({ args: [c] }) => { changes.push(c); return null; } }),
    }, 'test'));
    return broker;
  });
  const raw = await rawClient(srv.port);
  const steps = session.steps;
  let seen = 0;
  const expectFromServer = async (hex: string | ((got: Buffer) => void)) => {
    const want = typeof hex === 'string' ? hex.length / 2 : null;
    for (let i = 0; raw.received().length < seen + (want ?? 1) || (want === null && decodeSafe(raw.received().subarray(seen)) === null); i++) {
      if (i > 2000) assert.fail('the server did not answer');
      await new Promise((r) => setTimeout(r, 5));
    }
    const got = raw.received().subarray(seen, want === null ? undefined : seen + want);
    seen += got.length;
    if (typeof hex === 'string') assert.equal(got.toString('hex'), hex);
    else hex(got);
  };
  const send = (hex: string) => raw.socket.write(Buffer.from(hex, 'hex'));
  try {
    await expectFromServer(steps[0]!.hex);
    send(steps[1]!.hex);
    await expectFromServer(steps[2]!.hex);
    send(steps[3]!.hex);
    send(steps[4]!.hex);
    let challenge: Buffer | null = null;
    await expectFromServer((got) => {
      const [answer] = decode(got.toString('hex')) as BananaValue[][];
      const tuple = answer![2] as BananaValue[];
      challenge = tuple[1] as Buffer;
      assert.equal(challenge.length, 16);
      const withFixed = encodeBanana(['answer', 1, ['tuple', Buffer.from(session.challenge, 'hex'), ['remote', 1]]], { vocabulary: true });
      assert.equal(withFixed.toString('hex'), steps[5]!.hex, 'same bytes but for the challenge');
      assert.equal(got.length, withFixed.length);
    });
    const response = respond(challenge!, session.password);
    send(encodeBanana(['message', 2, 1, 'respond', 1, ['tuple', response, ['None']], ['dictionary']], { vocabulary: true }).toString('hex'));
    await expectFromServer(steps[7]!.hex);
    send(steps[8]!.hex);
    await expectFromServer(steps[9]!.hex);
    send(steps[10]!.hex);
    assert.deepEqual(changes, [{ who: 'a', files: ['f1'], branch: 'main' }]);
    for (let i = 0; srv.brokers[0]!.lentCount !== 1; i++) {
      if (i > 2000) assert.fail('the decref did not release the challenger');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    raw.socket.destroy();
    await srv.close();
  }
});

function decodeSafe(bytes: Buffer): BananaValue | null {
  try { return decode(bytes.toString('hex'))[0] ?? null; } catch { return null; }
}
