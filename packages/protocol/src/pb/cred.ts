/**
 * Username/password login over PB, as Twisted's `PBClientFactory.login` and Buildbot use it:
 *   client: root.login(username)            -> (challenge, challenger)
 *   client: challenger.respond(response, mind) -> the user's perspective (a remote reference)
 * where response = MD5(MD5(password) + challenge) (`respond()` below, Twisted's `pb.respond`), and
 * mind is an object of the client the server may call (Buildbot's worker passes its bot).
 *
 * The server keeps only MD5(password) per user and compares in constant time; unknown users take the
 * same path as wrong passwords. A challenger answers one `respond` only. Failed logins are charged to
 * the caller's limiter before the check (so concurrent guesses see each other) and refunded on
 * success. Every refusal is a `twisted.cred.error.UnauthorizedLogin`, the one failure Buildbot's
 * worker retries after (any other failure makes it exit).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PbErrorCodes, PbProtocolError } from './errors.js';
import { FailureTypes, PbError } from './failure.js';
import { PbTuple } from './jelly-types.js';
import { Referenceable, RemoteReference, type IncomingCall } from './referenceable.js';

/**
 * Where failed logins are counted: the master's LoginRateLimiter fits as it is (a token bucket per
 * key that only failures drain).
 */
export interface PbLoginLimiter {
  /** Milliseconds until `key` may try again (0: now). */
  retryAfterMs(key: string): number;
  recordFailure(key: string): void;
  /** Gives back one try recorded by `recordFailure`. */
  refund(key: string): void;
}

export interface PbPortal {
  /** MD5 of the user's password (`md5Digest(password)`), or null for an unknown user. */
  passwordDigest(username: string): Buffer | null | Promise<Buffer | null>;
  /**
   * The perspective of a user who just proved the password: the object the client calls from now on.
   * `mind` is the client's own object, if it sent one. Throw a PbError to refuse the login.
   */
  perspective(username: string, mind: RemoteReference | null): Referenceable | Promise<Referenceable>;
  limiter?: PbLoginLimiter;
  /**
   * The limiter key of a login (default: the address and, for a known user, the name; unknown names
   * share one key per address, so inventing names buys a guesser nothing).
   */
  limitKey?(address: string, username: string, known: boolean): string;
}

/** Twisted's `pb.respond`: the response a client sends for `challenge`. */
export function respond(challenge: Buffer, password: string | Buffer): Buffer {
  return createHash('md5').update(md5Digest(password)).update(challenge).digest();
}

/** MD5 of a password, the form a PB server stores (Twisted's `checkMD5Password`). */
export function md5Digest(password: string | Buffer): Buffer {
  return createHash('md5').update(typeof password === 'string' ? Buffer.from(password, 'utf8') : password).digest();
}

const UNKNOWN_USER_DIGEST = md5Digest('\u0000mastro-unknown-pb-user\u0000');

function defaultLimitKey(address: string, username: string, known: boolean): string {
  return known ? `${address} ${username}` : `${address} (unknown user)`;
}

function textArg(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** The `root` object a PB server publishes on one connection from `address`: it offers `login`. */
export function portalRoot(portal: PbPortal, address: string): Referenceable {
  const limitKey = portal.limitKey ?? defaultLimitKey;
  return new Referenceable({
    login: ({ args }: IncomingCall) => {
      const username = textArg(args[0]);
      if (username === null) throw new PbError(FailureTypes.UNAUTHORIZED_LOGIN, 'login takes the user name (text or bytes)');
      const challenge = randomBytes(16);
      let used = false;
      const challenger = new Referenceable({
        respond: async ({ args: [response, mind] }: IncomingCall) => {
          if (used) throw new PbError(FailureTypes.UNAUTHORIZED_LOGIN, 'this challenge was already answered; call login again');
          used = true;
          return checkResponse(portal, limitKey, address, username, challenge, response, mind);
        },
      }, 'challenger');
      return new PbTuple(challenge, challenger);
    },
  }, 'root');
}

async function checkResponse(
  portal: PbPortal, limitKey: NonNullable<PbPortal['limitKey']>, address: string, username: string,
  challenge: Buffer, response: unknown, mind: unknown,
): Promise<Referenceable> {
  const digest = await portal.passwordDigest(username);
  const key = limitKey(address, username, digest !== null);
  const limiter = portal.limiter;
  const wait = limiter?.retryAfterMs(key) ?? 0;
  if (wait > 0) {
    const err = new PbProtocolError(PbErrorCodes.LOGIN_RATE_LIMITED, { username, address, seconds: Math.max(1, Math.ceil(wait / 1000)) });
    throw new PbError(FailureTypes.UNAUTHORIZED_LOGIN, err.message);
  }
  // Charged before the check, refunded on success: concurrent guesses cannot all slip past the limit.
  limiter?.recordFailure(key);
  const expected = createHash('md5').update(digest ?? UNKNOWN_USER_DIGEST).update(challenge).digest();
  const given = Buffer.isBuffer(response) && response.length === expected.length ? response : Buffer.alloc(expected.length);
  const same = timingSafeEqual(given, expected);
  if (!same || digest === null || given !== response) {
    throw new PbError(FailureTypes.UNAUTHORIZED_LOGIN, new PbProtocolError(PbErrorCodes.UNAUTHORIZED_LOGIN, { username }).message);
  }
  limiter?.refund(key);
  return portal.perspective(username, mind instanceof RemoteReference ? mind : null);
}

/**
 * The client side of the login (Twisted's `PBClientFactory.login`): resolves with the perspective.
 * `root` is `broker.remoteForName('root')`; `mind` is lent to the server if given.
 */
export async function login(root: RemoteReference, username: string, password: string | Buffer, mind: Referenceable | null = null): Promise<RemoteReference> {
  const answer = await root.callRemote('login', Buffer.from(username, 'utf8'));
  if (!Array.isArray(answer) || answer.length !== 2 || !Buffer.isBuffer(answer[0]) || !(answer[1] instanceof RemoteReference)) {
    throw new PbProtocolError(PbErrorCodes.BAD_MESSAGE, { detail: 'login must answer (challenge, challenger)' });
  }
  const [challenge, challenger] = answer as [Buffer, RemoteReference];
  const perspective = await challenger.callRemote('respond', respond(challenge, password), mind);
  challenger.release();
  if (!(perspective instanceof RemoteReference)) throw new PbProtocolError(PbErrorCodes.BAD_MESSAGE, { detail: 'respond must answer with a perspective' });
  return perspective;
}
