/**
 * The `www` section of a config: the HTTP server's port and limits, change hooks and their
 * authentication, `auth` and `authz`. Owned by www/, which reads them; config/types.ts assembles them
 * into MasterConfig and re-exports them for users.
 */
import type { AuthzOptions as WwwAuthzOptions, WsLimits } from '../options/www.js';

export interface WwwOptions {
  /** HTTP port for the API, UI and change hooks. Default 8010; 0 picks a free port. */
  port?: number;
  /** Default: all interfaces. */
  host?: string;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Limits of /ws, per connection and in all (defaults and docs: options/www.ts). */
  ws?: WsLimits;
  /** Time a new connection has to send its request headers (a kept-alive one: from the first byte of its next request); Node answers 408. Default 30 s; 0 = none. */
  headersTimeoutMs?: number;
  /** Time a connection has to send a whole request, body included; Node answers 408. Default 120 s; 0 = none. */
  requestTimeoutMs?: number;
  /** A connection with no traffic for this long is closed, also between keep-alive requests. Default 72 s; 0 = never. */
  idleTimeoutMs?: number;
  /**
   * Connections one remote address may hold at once (browsers, API clients, /ws); more are answered
   * 503 and closed. Default 256; 0 = no limit. Behind a reverse proxy every connection comes from the
   * proxy's address: raise it there (or limit per client in the proxy).
   */
  maxConnectionsPerAddress?: number;
  /**
   * Enabled change-hook dialects and their options, e.g. `{ base: {}, github: { secret: '...' } }`. The forge
   * dialects also take `replay: { ttlSeconds, maxEntries }` (www/hooks/replay-guard.ts: default 3 days, 100000).
   */
  changeHooks?: Record<string, Record<string, unknown>>;
  /** Who may log in and how (local users, API tokens, OAuth2). Read by src/www/auth/options.ts. */
  auth?: WwwAuthOptions;
  /** Which roles may do what. Read by src/www/authz/rules.ts. */
  authz?: WwwAuthzOptions;
  /**
   * HTTP Basic authentication of every change hook (Buildbot's `change_hook_auth`): a request
   * passes when its credentials match one of the entries. Default none: hooks are open, as in
   * Buildbot, and the master warns when it listens beyond loopback. `false` = open on purpose (no
   * warning). Dialect secrets (github `secret`, gitlab/gerrit `token`) are checked as well.
   * A reconfig applies changes at once (www/reconfigure.ts lists what needs a restart).
   */
  changeHookAuth?: ChangeHookAuthEntry[] | false | null;
}

/**
 * One source of change hook credentials:
 *  - `{ username, password }`: a literal account;
 *  - `'file:changehook.passwd'` or `{ file }`: Buildbot's password file of `user:password` lines
 *    (relative to the master directory; re-read when it changes);
 *  - `{ usersStore: true }` / `{ usersStore: { roles: ['change-hook'] } }`: users added with
 *    `mastro user add` (optionally only those with one of the roles).
 */
export type ChangeHookAuthEntry =
  | { username: string; password: string }
  | string
  | { file: string }
  | { usersStore: true | { roles?: string[] } };

/** One OAuth2 provider (GitHub or GitLab). Endpoint URLs default to the public service. */
export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: unknown;
  /** GitHub: https://github.com; GitLab: https://gitlab.com (self-hosted: its URL). */
  baseUrl?: string;
  /** GitHub's API root (default https://api.github.com; GitHub Enterprise: <baseUrl>/api/v3). */
  apiUrl?: string;
  /** Roles given to members of an organisation (GitHub) or group (GitLab), by its login/path. */
  groupRoles?: Record<string, string[]>;
  /** Roles every user logged in through this provider gets. Default none. */
  defaultRoles?: string[];
  /**
   * Most pages of a user's organisations (GitHub, 30 a page) or groups (GitLab, 100 a page) read at
   * login; a user with more is refused with a message naming this option. Default 10.
   */
  maxGroupPages?: number;
}

export interface WwwAuthOptions {
  /** Roles by user name, added to those of the users store (`mastro user add`); OAuth users are named `github:<login>` / `gitlab:<username>` here. */
  users?: Array<{ username: string; roles: string[] }>;
  /** Accept HTTP Basic credentials (command-line clients). Default true. */
  basic?: boolean;
  /** Browser session lifetime in seconds. Default 8 hours. */
  sessionTtlSec?: number;
  /** Sessions kept at once; the oldest are dropped beyond this. Default 10,000. */
  maxSessions?: number;
  /** Seconds between sweeps deleting expired browser sessions from the database (read ones are deleted at once). Default 600. */
  sessionSweepSec?: number;
  /**
   * Failed logins allowed in a burst per address (then 429, before any check) and per user name (then
   * wrong passwords for it get 429; its right password still passes). Default 5.
   */
  loginBurst?: number;
  /** Extra failed logins allowed per second after the burst. Default 0.1. */
  loginRefillPerSecond?: number;
  /** Public URL of this server for OAuth redirects; default the config's buildbotURL or the request's Host. */
  publicUrl?: string;
  github?: OAuthProviderOptions;
  gitlab?: OAuthProviderOptions;
  /** Milliseconds an OAuth provider request may take. Default 10,000. */
  oauthTimeoutMs?: number;
}

/**
 * `www.authz`, as declared in options/www.ts: actions a rule may grant (`view` covers every GET and
 * /ws subscriptions), the roles that get them ('authenticated', 'anonymous' are pseudo-roles), and
 * glob patterns of builders and branches a rule is limited to. Default: admin may do everything,
 * any logged-in user may view; anonymousView (default true, Buildbot's) lets anyone read.
 */
export type { AuthzAction, AuthzRule, AuthzOptions as WwwAuthzOptions } from '../options/www.js';

/** `www` normalised: every default filled in (config/normalise.ts). */
export type WwwConfig = Readonly<WwwOptions> & {
  readonly port: number; readonly bodyLimit: number; readonly ws: Readonly<Required<WsLimits>>;
  readonly changeHooks: Readonly<Record<string, Record<string, unknown>>>;
  readonly headersTimeoutMs: number; readonly requestTimeoutMs: number; readonly idleTimeoutMs: number; readonly maxConnectionsPerAddress: number;
};

/** The part of the master config the HTTP server reads (a MasterConfig is one). */
export interface WwwMasterConfig {
  /** Absolute master directory (users.json, hook password files). */
  readonly masterDir: string;
  readonly buildbotURL: string;
  /** null when the config disables the web server (`www: null`). */
  readonly www: WwwConfig | null;
}
