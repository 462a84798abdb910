/**
 * How a pool worker presents itself on the WebSocket upgrade (PROTOCOL.md §1.1, a mastro extension).
 * A named worker sends HTTP Basic `name:password`, as Buildbot's do. A pool worker sends the same
 * header with its own worker name and the pool's token as the password, plus `X-Mastro-Pool: POOL`:
 *
 *   Authorization: Basic base64(<worker name>:<pool token>)
 *   X-Mastro-Pool: <pool name>
 *
 * So a master that knows no pools (an older mastro, Buildbot) checks `name:token` as a named
 * worker's credentials and refuses it with 401, and a worker that does not join a pool never sends
 * the header: named logins mean exactly what they meant before. A master that knows pools echoes
 * `X-Mastro-Pool` on every answer to a pool login (refusals included), which is how a refused worker
 * tells "wrong token" from "this master ignored the pool" (`poolRefusal`).
 *
 * Shared by the worker (which sends it) and the master (which will check it), so both hold one rule
 * for names. The master calls the worker `POOL/NAME` (`poolWorkerName`); `/` is in neither part.
 */

/** Upgrade-request header naming the pool a worker joins; echoed by a master that knows pools. */
export const POOL_HEADER = 'X-Mastro-Pool';

/**
 * A pool name or a pool worker's own name: 1 to 63 letters, digits, `.`, `_` or `-`, starting with a
 * letter or digit (a DNS label's length, so a name made from a host name fits). No `:` (Basic auth
 * cannot carry it in a user name), no `/` (it joins the two in `POOL/NAME`), nothing a header or a
 * URL path would need to escape.
 */
export const POOL_MEMBER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Why `value` is no valid pool or pool worker name (`what` names it in the text), or null when it is one. */
export function poolNameProblem(what: 'pool name' | 'worker name', value: string): string | null {
  if (POOL_MEMBER_NAME_RE.test(value)) return null;
  const shown = value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}... (${value.length} characters)` : JSON.stringify(value);
  return `${what} ${shown} is not valid: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** The name a master gives a pool worker in its API and logs. */
export function poolWorkerName(pool: string, name: string): string {
  return `${pool}/${name}`;
}

/**
 * The pool named by an upgrade request's `X-Mastro-Pool` header: null when the header is absent (a
 * named login), `{ error }` when it is present but no valid pool name (answer 400 with the text).
 */
export function poolOfRequest(headerValue: string | string[] | undefined): { pool: string } | { error: string } | null {
  if (headerValue === undefined) return null;
  if (Array.isArray(headerValue)) return { error: `the ${POOL_HEADER} header was sent ${headerValue.length} times; send it once` };
  const pool = headerValue.trim();
  const problem = poolNameProblem('pool name', pool);
  return problem ? { error: `${POOL_HEADER}: ${problem}` } : { pool };
}

/**
 * Reading a refused pool login: a master that knows pools echoes the header, so its 401 means a
 * wrong token (or a pool it does not have); without the echo the master treated the login as a
 * named worker's, i.e. it does not know pools at all.
 */
export function poolRefusal(responseHeaderValue: string | string[] | undefined): 'refused-by-pool-master' | 'master-without-pools' {
  return responseHeaderValue === undefined ? 'master-without-pools' : 'refused-by-pool-master';
}
