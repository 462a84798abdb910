/** Builds the published PB vectors (vectors/pb-*.json) from pb-vector-cases.ts with the reference encoders. */
import { encodeBanana, type BananaInput } from '../src/pb/banana-encoder.js';
import { respond } from '../src/pb/cred.js';
import { jelly } from '../src/pb/jelly-encoder.js';
import { bananaInput, jsValue } from './pb-tagged.js';
import { SESSION_CHALLENGE, SESSION_PASSWORD, SESSION_USER, bananaCases, bananaRefusals, jellyCases, jellyRefusals } from './pb-vector-cases.js';

export interface SessionStep { from: 'server' | 'client'; meaning: string; hex: string }

const hexOf = (v: BananaInput, vocabulary = true) => encodeBanana(v, { vocabulary }).toString('hex');

export function bananaVectors() {
  return {
    vectors: bananaCases.map((c) => ({ ...c, hex: hexOf(bananaInput(c.value), c.dialect === 'pb') })),
    refusals: bananaRefusals,
  };
}

export function jellyVectors() {
  return {
    vectors: jellyCases.map((c) => ({ ...c, hex: hexOf(jelly(jsValue(c.value))) })),
    refusals: jellyRefusals.map(({ name, sexp, code, twisted }) => ({ name, hex: hexOf(bananaInput(sexp)), code, ...(twisted ? { twisted } : {}) })),
  };
}

const b = (s: string) => Buffer.from(s, 'utf8');
const unicode = (s: string) => ['unicode', b(s)];

/** The session `buildbot sendchange` has with a PB change source, byte for byte (with a fixed challenge). */
export function sessionVectors() {
  const response = respond(SESSION_CHALLENGE, SESSION_PASSWORD);
  const change = ['dictionary', [unicode('who'), unicode('a')], [unicode('files'), ['list', unicode('f1')]], [unicode('branch'), unicode('main')]];
  const steps: SessionStep[] = [
    { from: 'server', meaning: 'offers its dialects, spelled out (no dialect yet)', hex: hexOf(['pb', 'none'], false) },
    { from: 'client', meaning: 'chooses pb (still spelled out)', hex: hexOf('pb', false) },
    { from: 'server', meaning: 'announces broker version 6 (from now on in the pb dialect)', hex: hexOf(['version', 6]) },
    { from: 'client', meaning: 'announces broker version 6', hex: hexOf(['version', 6]) },
    { from: 'client', meaning: 'calls root.login(b"change"): request 1, object "root", answer required, args tuple, no kwargs', hex: hexOf(['message', 1, 'root', 'login', 1, ['tuple', b(SESSION_USER)], ['dictionary']]) },
    { from: 'server', meaning: 'answers (challenge, challenger): the challenger is lent as remote object 1', hex: hexOf(['answer', 1, ['tuple', SESSION_CHALLENGE, ['remote', 1]]]) },
    { from: 'client', meaning: 'calls respond(MD5(MD5(password) + challenge), mind=None) on object 1', hex: hexOf(['message', 2, 1, 'respond', 1, ['tuple', response, ['None']], ['dictionary']]) },
    { from: 'server', meaning: 'answers with the perspective, lent as remote object 2', hex: hexOf(['answer', 2, ['remote', 2]]) },
    { from: 'client', meaning: 'calls addChange({who, files, branch}) on the perspective', hex: hexOf(['message', 3, 2, 'addChange', 1, ['tuple', change], ['dictionary']]) },
    { from: 'server', meaning: 'answers None', hex: hexOf(['answer', 3, ['None']]) },
    { from: 'client', meaning: 'releases the challenger (Twisted sends this when it garbage-collects the reference)', hex: hexOf(['decref', 1]) },
  ];
  return { user: SESSION_USER, password: SESSION_PASSWORD, challenge: SESSION_CHALLENGE.toString('hex'), response: response.toString('hex'), steps };
}

export const pbVectorFiles = { 'pb-banana.json': bananaVectors, 'pb-jelly.json': jellyVectors, 'pb-session.json': sessionVectors } as const;
