/**
 * What a master reconfig can change in a running HTTP server, and what only a restart changes.
 *
 * Applied at once (read per request from the config in force): `www.auth` (users' roles, Basic on
 * or off, session lifetime and bound, login limits, OAuth providers, publicUrl), `www.authz`,
 * `www.changeHooks`, `www.changeHookAuth` and `buildbotURL`. The users file (users.json) and
 * change hook password files are re-read whenever they change on disk, without any reconfig.
 *
 * Restart only: the listening socket and what Fastify fixes when it is built — `www.port`,
 * `www.host`, `www.bodyLimit`, the connection timeouts and `www.maxConnectionsPerAddress`, the /ws
 * limits (`www.ws.*`) — and adding or removing `www` altogether.
 */
import type { WwwMasterConfig, WwwOptions } from './options.js';
import type { WsLimits } from '../options/www.js';

export const RESTART_ONLY_WWW_KEYS = [
  'port', 'host', 'bodyLimit', 'headersTimeoutMs', 'requestTimeoutMs', 'idleTimeoutMs', 'maxConnectionsPerAddress',
] as const satisfies ReadonlyArray<keyof WwwOptions>;

/** The config paths that changed but take effect only when the master restarts. */
export function restartOnlyChanges(prev: WwwMasterConfig, next: WwwMasterConfig): string[] {
  if (!prev.www !== !next.www) return ['www'];
  if (!prev.www || !next.www) return [];
  const changed = RESTART_ONLY_WWW_KEYS.filter((k) => prev.www![k] !== next.www![k]).map((k) => `www.${k}`);
  // The /ws limits are fixed when the endpoint is registered.
  const ws = [...new Set([...Object.keys(prev.www.ws ?? {}), ...Object.keys(next.www.ws ?? {})])] as (keyof WsLimits)[];
  return [...changed, ...ws.filter((k) => prev.www!.ws?.[k] !== next.www!.ws?.[k]).map((k) => `www.ws.${k}`)];
}
