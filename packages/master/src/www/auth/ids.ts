/**
 * The opaque random values the web layer hands out, all from nanoid (crypto-random, URL-safe
 * alphabet `A-Za-z0-9_-`, 6 bits a character). Lengths keep the formats the old
 * `randomBytes(...).toString('base64url' | 'hex')` values had, so stored tokens, cookies and what
 * `mastro user list` shows look the same: 43 characters carry 258 bits, 32 carry 192.
 */
import { customAlphabet, nanoid } from 'nanoid';

/** A browser session's cookie token (only its SHA-256 is stored). */
export const sessionToken = (): string => nanoid(43);
/** The CSRF token bound to a session or to an anonymous browser. */
export const csrfToken = (): string => nanoid(32);
/** The single-use OAuth `state` parameter. */
export const oauthState = (): string => nanoid(32);
/** An API token as shown to the user once: `mastro_` + 43 characters (only its digest is stored). */
export const apiToken = (): string => `mastro_${nanoid(43)}`;
/** The public id of an API token (`mastro user revoke-token DIR NAME ID`): 12 hex digits. */
export const apiTokenId = customAlphabet('0123456789abcdef', 12);
