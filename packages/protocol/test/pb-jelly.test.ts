/**
 * Jelly against Twisted's own jelly: values we send, Twisted unjellies to the Python values meant;
 * values Twisted sends (shared and cyclic ones included), we rebuild; copyable types outside the
 * allow-list are refused, and nothing is instantiated from the wire but what it names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BananaDecoder, type BananaValue } from '../src/pb/banana-decoder.js';
import { encodeBanana, type BananaInput } from '../src/pb/banana-encoder.js';
import { PbErrorCodes } from '../src/pb/errors.js';
import { COPYABLE_FAILURE_TYPE, FailureTypes, PbFailure } from '../src/pb/failure.js';
import { jelly } from '../src/pb/jelly-encoder.js';
import { unjelly, type UnjellyContext } from '../src/pb/jelly-decoder.js';
import { PbCopy, PbTuple, Unpersistable } from '../src/pb/jelly-types.js';
import { refused } from './support/pb-assert.js';
import { T, twisted, type Tagged } from './support/twisted.js';

const hexOf = (v: unknown) => encodeBanana(jelly(v), { vocabulary: true }).toString('hex');

function sexpOf(hex: string): BananaValue {
  const decoder = new BananaDecoder();
  decoder.dialect = 'pb';
  const out: BananaValue[] = [];
  decoder.push(Buffer.from(hex, 'hex'), (v) => out.push(v));
  assert.equal(out.length, 1);
  return out[0]!;
}

const withFailures: UnjellyContext = { copyables: new Map([[COPYABLE_FAILURE_TYPE, PbFailure.fromCopyState]]) };

test('what we jelly, Twisted unjellies to the Python value meant', () => {
  const cases: [unknown, Tagged][] = [
    [null, T.n], [undefined, T.n], [true, T.B(true)], [false, T.B(false)],
    [0, T.i(0)], [-5, T.i(-5)], [2 ** 40, T.i(2 ** 40)], [2n ** 80n, T.i(2n ** 80n)], [1.5, T.f(1.5)],
    ['', T.s('')], ['hi', T.s('hi')], ['grüße ✓ 😀', T.s('grüße ✓ 😀')], [Buffer.from([0, 255]), T.b(Buffer.from([0, 255]))],
    [[1, 'a', [null]], T.l(T.i(1), T.s('a'), T.l(T.n))],
    [new PbTuple('x', 1), T.t(T.s('x'), T.i(1))],
    [{ stdout: 'hi\n', rc: 0 }, T.d([T.s('stdout'), T.s('hi\n')], [T.s('rc'), T.i(0)])],
    [new Map<unknown, unknown>([[1, 'one'], [Buffer.from('k'), 'bytes key']]), T.d([T.i(1), T.s('one')], [T.b('k'), T.s('bytes key')])],
    [{ nested: { list: [new PbTuple()], empty: {} } }, T.d([T.s('nested'), T.d([T.s('list'), T.l(T.t())], [T.s('empty'), T.d()])])],
  ];
  const shared = ['s'];
  cases.push([[shared, shared], T.l(T.l(T.s('s')), T.l(T.s('s')))]);
  const results = twisted<Tagged>('unjelly', cases.map(([v]) => hexOf(v)));
  results.forEach((r, i) => { assert.deepEqual(r, cases[i]![1], `case ${i}: ${JSON.stringify(r)}`); });
});

test('what Twisted jellies, we rebuild, keeping shared and cyclic structure', () => {
  const inputs: Tagged[] = [
    T.n, T.B(true), T.i(-(2 ** 31) - 1), T.i(2n ** 100n), T.f(-0.25), T.s('ünï'), T.b('raw'),
    T.l(T.i(1), T.t(T.s('a'), T.b('b'))), T.d([T.s('k'), T.l()], [T.i(3), T.n]),
    { shared: T.d([T.s('x'), T.i(1)]) }, { cycle: 1 }, { dcycle: 1 },
  ];
  const [none, yes, small, big, float, text, bytes, list, dict, shared, cycle, dcycle] = twisted<string>('jelly', inputs).map((hex) => unjelly(sexpOf(hex)));
  assert.equal(none, null);
  assert.equal(yes, true);
  assert.equal(small, -(2 ** 31) - 1);
  assert.equal(big, 2n ** 100n);
  assert.equal(float, -0.25);
  assert.equal(text, 'ünï');
  assert.deepEqual(bytes, Buffer.from('raw'));
  assert.deepEqual(list, [1, ['a', Buffer.from('b')]]);
  assert.deepEqual(dict, { k: [], 3: null });
  const [a, b] = shared as object[];
  assert.deepEqual(a, { x: 1 });
  assert.equal(a, b, 'one object twice, as Python sent it');
  const l = cycle as unknown[];
  assert.equal(l[0], l, 'the list contains itself');
  const d = dcycle as Record<string, unknown>;
  assert.equal(d.self, d);
});

test('shared and cyclic values we send survive the trip through Twisted and back', () => {
  const inner = { v: 1 };
  const cyclic: unknown[] = ['head'];
  cyclic.push(cyclic);
  const back = unjelly(sexpOf(hexOf([inner, inner, cyclic]))) as [object, object, unknown[]];
  assert.equal(back[0], back[1]);
  assert.equal(back[2][1], back[2]);
  // Twisted accepts our reference/dereference encoding too (the shared pair).
  const [viaTwisted] = twisted<Tagged>('unjelly', [hexOf([inner, inner])]);
  assert.deepEqual(viaTwisted, T.l(T.d([T.s('v'), T.i(1)]), T.d([T.s('v'), T.i(1)])));
});

test('a CopyableFailure from Twisted becomes a PbFailure with its class names, and ours reads as UnauthorizedLogin in Twisted', () => {
  const [hex] = twisted<string>('failure', [{ exception: 'twisted.cred.error.UnauthorizedLogin', message: 'bad password' }]);
  const failure = unjelly(sexpOf(hex!), withFailures);
  assert.ok(failure instanceof PbFailure);
  assert.equal(failure.type, 'twisted.cred.error.UnauthorizedLogin');
  assert.equal(failure.value, 'bad password');
  assert.ok(failure.check('twisted.cred.error.LoginFailed'));

  const ours = PbFailure.of(FailureTypes.UNAUTHORIZED_LOGIN, 'login refused for w1');
  const [seen] = twisted<{ class: string; type: Tagged; message: string; printed: string; check: boolean }>('check-failure', [{ hex: hexOf(ours), check: 'twisted.cred.error.UnauthorizedLogin' }]);
  assert.equal(seen!.class, 'twisted.spread.pb.CopiedFailure');
  assert.deepEqual(seen!.type, T.b('twisted.cred.error.UnauthorizedLogin'));
  assert.equal(seen!.message, 'login refused for w1');
  assert.equal(seen!.check, true, 'Failure.check matches, so a Buildbot worker retries instead of exiting');
  assert.match(seen!.printed, /Traceback from remote host -- twisted.cred.error.UnauthorizedLogin: login refused for w1/);
});

test('types outside the allow-list are refused by name, and their state is never looked at', () => {
  let built = 0;
  const context: UnjellyContext = { copyables: new Map([['buildbot.Allowed', (state) => { built++; return { allowed: state }; }]]) };
  const sexp = (v: BananaInput) => sexpOf(encodeBanana(v, { vocabulary: true }).toString('hex'));
  for (const tag of ['os.system', 'class', 'module', 'function', 'instance', 'method', 'persistent', 'cached', 'lcache', 'copy', 'datetime', 'twisted.spread.pb.CopyableFailure']) {
    refused(() => unjelly(sexp([tag, ['dictionary']]), context), PbErrorCodes.INSECURE_JELLY, new RegExp(`type ${tag.replace(/\./g, '\\.')},.*buildbot\\.Allowed`));
  }
  // Twisted's own exploit shape: an instance of a class named on the wire.
  refused(() => unjelly(sexp(['subprocess.Popen', ['dictionary', [['unicode', 'args'], ['list', ['unicode', 'id']]]]]), context), PbErrorCodes.INSECURE_JELLY);
  assert.equal(built, 0);
  assert.deepEqual(unjelly(sexp(['buildbot.Allowed', ['list', 1]]), context), { allowed: [1] });
  assert.equal(built, 1);
  // Without a broker, references cannot be made either.
  refused(() => unjelly(sexp(['remote', 1])), PbErrorCodes.INSECURE_JELLY);
  assert.deepEqual(unjelly(sexp(['unpersistable', 'no way'])), new Unpersistable('no way'));
});

test('malformed jelly is refused with a reason', () => {
  const sexp = (v: BananaInput) => sexpOf(encodeBanana(v, { vocabulary: true }).toString('hex'));
  refused(() => unjelly(sexp(['boolean', 'yes'])), PbErrorCodes.BAD_JELLY, /'true' or 'false'/);
  refused(() => unjelly(sexp(['unicode', Buffer.from([0xff, 0xfe])])), PbErrorCodes.BAD_JELLY, /not valid UTF-8/);
  refused(() => unjelly(sexp(['unicode', 1])), PbErrorCodes.BAD_JELLY, /byte string/);
  refused(() => unjelly(sexp(['list', ['dereference', 1]])), PbErrorCodes.BAD_JELLY, /dereference 1 before/);
  refused(() => unjelly(sexp(['list', ['reference', 1, ['list']], ['reference', 1, ['list']]])), PbErrorCodes.BAD_JELLY, /defined twice/);
  refused(() => unjelly(sexp(['dictionary', ['k']])), PbErrorCodes.BAD_JELLY, /\[key, value\] pair/);
  refused(() => unjelly(sexp(['dictionary', [['list'], 1]])), PbErrorCodes.BAD_JELLY, /dictionary key of type list/);
  refused(() => unjelly(sexp([])), PbErrorCodes.BAD_JELLY, /empty list/);
  refused(() => unjelly(sexp([1, 2])), PbErrorCodes.BAD_JELLY, /type name/);
  refused(() => unjelly(sexp(['None', 1])), PbErrorCodes.BAD_JELLY, /takes 0 values/);
});

test('a "__proto__" key is an ordinary key, never the prototype', () => {
  const d = unjelly(sexpOf(encodeBanana(['dictionary', [['unicode', '__proto__'], ['dictionary', [['unicode', 'polluted'], 1]]]], { vocabulary: true }).toString('hex'))) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(Object.keys(d), ['__proto__']);
  assert.equal((d as { polluted?: unknown }).polluted, undefined);
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

test('unjelly bounds depth and the number of values', () => {
  let deep: unknown = null;
  for (let i = 0; i < 10; i++) deep = [deep];
  refused(() => unjelly(sexpOf(hexOf(deep)), { maxDepth: 5 }), PbErrorCodes.TOO_DEEP);
  assert.ok(Array.isArray(unjelly(sexpOf(hexOf(deep)), { maxDepth: 11 })));
  refused(() => unjelly(sexpOf(hexOf([1, 2, 3, 4])), { maxItems: 4 }), PbErrorCodes.TOO_MANY_ITEMS);
});

test('values that cannot travel are refused when sent, with what to do', () => {
  refused(() => jelly(() => 1), PbErrorCodes.CANNOT_SEND, /a function/);
  refused(() => jelly(new Date()), PbErrorCodes.CANNOT_SEND, /class Date.*PbCopy/);
  refused(() => jelly(Symbol('s')), PbErrorCodes.CANNOT_SEND);
  assert.deepEqual(jelly(new PbCopy('my.Type', { a: 1 })), ['my.Type', ['dictionary', [['unicode', Buffer.from('a')], 1]]]);
});
