/**
 * The PB conformance cases: banana elements, jelly values and one whole session (handshake, login,
 * a call), published as vectors/pb-*.json by generate-pb-vectors.ts. Values are in the tagged form
 * of pb-tagged.ts. Every case is also checked against Twisted itself by test/pb-vectors.test.ts.
 */
import { T, type Tagged } from './pb-tagged.js';

export interface BananaCase { name: string; dialect: 'pb' | 'none'; value: Tagged }
export interface BananaRefusal { name: string; dialect: 'pb' | 'none' | null; hex: string; code: string }
export interface JellyCase { name: string; value: Tagged }
/** `twisted`: what Twisted does instead, when it does not refuse the input too. */
export interface JellyRefusal { name: string; sexp: Tagged; code: string; twisted?: string }

const big = (bits: number) => 2n ** BigInt(bits);

export const bananaCases: BananaCase[] = [
  { name: 'zero', dialect: 'pb', value: T.i(0) },
  { name: 'one base-128 digit', dialect: 'pb', value: T.i(127) },
  { name: 'two base-128 digits, least significant first', dialect: 'pb', value: T.i(128) },
  { name: 'largest INT', dialect: 'pb', value: T.i(2 ** 31 - 1) },
  { name: 'smallest LONGINT', dialect: 'pb', value: T.i(2 ** 31) },
  { name: 'minus one (NEG)', dialect: 'pb', value: T.i(-1) },
  { name: 'smallest NEG', dialect: 'pb', value: T.i(-(2 ** 31)) },
  { name: 'largest LONGNEG', dialect: 'pb', value: T.i(-(2 ** 31) - 1) },
  { name: 'a 100-bit integer', dialect: 'pb', value: T.i(big(100) + 7n) },
  { name: 'largest integer within the 64-byte prefix limit', dialect: 'pb', value: T.i(big(448) - 1n) },
  { name: 'a float (no header, 8 bytes big-endian)', dialect: 'pb', value: T.f(1.5) },
  { name: 'a float with an integral value', dialect: 'pb', value: T.f(3) },
  { name: 'a negative float', dialect: 'pb', value: T.f(-2.5) },
  { name: 'empty string', dialect: 'pb', value: T.b('') },
  { name: 'a string', dialect: 'pb', value: T.b('hello') },
  { name: 'a string of raw bytes', dialect: 'pb', value: T.b(Buffer.from([0, 0x80, 0xff])) },
  { name: 'a short-string table entry in the pb dialect', dialect: 'pb', value: T.b('message') },
  { name: 'the same string spelled out in the none dialect', dialect: 'none', value: T.b('message') },
  { name: 'a word that is not in the table', dialect: 'pb', value: T.b('messages') },
  { name: 'empty list', dialect: 'pb', value: T.l() },
  { name: 'nested lists', dialect: 'pb', value: T.l(T.b('list'), T.i(1), T.l(T.b('x'), T.l())) },
  { name: 'the dialect offer (sent before a dialect is chosen)', dialect: 'none', value: T.l(T.b('pb'), T.b('none')) },
];

const hex = (...bytes: number[]) => Buffer.from(bytes).toString('hex');

export const bananaRefusals: BananaRefusal[] = [
  { name: 'a string above the 640 KiB element limit (refused from its header)', dialect: 'pb', hex: hex(0x01, 0x00, 0x28, 0x82), code: 'MASTRO_PB_ELEMENT_TOO_LARGE' },
  { name: 'a list above the element limit', dialect: 'pb', hex: hex(0x01, 0x00, 0x28, 0x80), code: 'MASTRO_PB_ELEMENT_TOO_LARGE' },
  { name: 'a header of 65 bytes', dialect: 'pb', hex: '01'.repeat(65), code: 'MASTRO_PB_PREFIX_TOO_LONG' },
  { name: 'an unknown type byte', dialect: 'pb', hex: hex(0x01, 0x88), code: 'MASTRO_PB_BAD_ELEMENT' },
  { name: 'a table entry outside the pb dialect', dialect: 'none', hex: hex(0x1a, 0x87), code: 'MASTRO_PB_BAD_ELEMENT' },
  { name: 'a table entry number past the table', dialect: 'pb', hex: hex(0x20, 0x87), code: 'MASTRO_PB_BAD_ELEMENT' },
];

export const jellyCases: JellyCase[] = [
  { name: 'None', value: T.n },
  { name: 'True', value: T.B(true) },
  { name: 'an int', value: T.i(42) },
  { name: 'a long int', value: T.i(big(64)) },
  { name: 'a float', value: T.f(0.25) },
  { name: 'bytes travel bare', value: T.b('raw') },
  { name: 'text travels as unicode + UTF-8 bytes', value: T.s('grüße') },
  { name: 'a list', value: T.l(T.i(1), T.s('a')) },
  { name: 'a tuple', value: T.t(T.s('b1'), T.s('b1dir')) },
  { name: 'an empty tuple (the arguments of a call without any)', value: T.t() },
  { name: 'a dictionary', value: T.d([T.s('stdout'), T.s('hi\n')], [T.s('rc'), T.i(0)]) },
  { name: 'a dictionary with an int key', value: T.d([T.i(1), T.s('one')]) },
  { name: 'what buildbot-worker sends with update: a list of [{key: value}, 0]', value: T.l(T.l(T.d([T.s('stdout'), T.s('hi\n')]), T.i(0))) },
  { name: 'startCommand shell arguments', value: T.d([T.s('command'), T.l(T.s('echo'), T.s('hi'))], [T.s('workdir'), T.s('build')], [T.s('env'), T.d()], [T.s('timeout'), T.i(1200)], [T.s('maxTime'), T.n], [T.s('usePTY'), T.B(false)]) },
];

export const jellyRefusals: JellyRefusal[] = [
  { name: 'a class instance named on the wire (not in the allow-list)', sexp: T.l(T.b('os.system'), T.l(T.b('dictionary'))), code: 'MASTRO_PB_INSECURE_JELLY' },
  { name: 'a class', sexp: T.l(T.b('class'), T.b('os.system')), code: 'MASTRO_PB_INSECURE_JELLY' },
  { name: 'a module', sexp: T.l(T.b('module'), T.b('os')), code: 'MASTRO_PB_INSECURE_JELLY' },
  { name: 'a function', sexp: T.l(T.b('function'), T.b('os.system')), code: 'MASTRO_PB_INSECURE_JELLY' },
  { name: 'a persistent id', sexp: T.l(T.b('persistent'), T.i(1)), code: 'MASTRO_PB_INSECURE_JELLY', twisted: 'without a persistent store, an Unpersistable' },
  { name: 'a boolean that is neither true nor false', sexp: T.l(T.b('boolean'), T.b('yes')), code: 'MASTRO_PB_BAD_JELLY' },
  { name: 'unicode that is not UTF-8', sexp: T.l(T.b('unicode'), T.b(Buffer.from([0xff]))), code: 'MASTRO_PB_BAD_JELLY' },
  { name: 'a dereference before its reference', sexp: T.l(T.b('list'), T.l(T.b('dereference'), T.i(1))), code: 'MASTRO_PB_BAD_JELLY', twisted: 'a placeholder left unresolved in the list' },
  { name: 'a list key in a dictionary', sexp: T.l(T.b('dictionary'), T.l(T.l(T.b('list')), T.i(1))), code: 'MASTRO_PB_BAD_JELLY' },
];

/** A fixed challenge for the session vector (a real server draws 16 random bytes). */
export const SESSION_CHALLENGE = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
export const SESSION_USER = 'change';
export const SESSION_PASSWORD = 'changepw';
