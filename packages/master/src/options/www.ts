/**
 * `www`: the HTTP server's options (src/www/server.ts), its /ws limits (src/www/ws/server.ts), who
 * may log in (src/www/auth/options.ts), who may do what (src/www/authz/rules.ts), and change hooks.
 * See declare.ts for how a declaration works.
 */
import { AnyObject, Const, Default, Enum, Options, Ref, Type, defaultsOf, type Static } from './declare.js';
import { HTTP_CONNECTION_DEFAULTS } from '../net/connection-limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const Port = (description: string) => Type.Integer({ minimum: 0, maximum: 65535, description });

/** `www.ws`: limits of the /ws endpoint, per connection and in all. */
export const WsOptions = Options({
  maxSubscriptions: Default(Type.Integer({ minimum: 1, description: 'startConsuming subscriptions one connection may hold; more are answered 429' }), 100),
  maxBufferedBytes: Default(Type.Integer({ minimum: 1024, description: 'Bytes queued for a slow client before it is disconnected (close code 4008)' }), 8 * MiB),
  maxMessageBytes: Default(Type.Integer({ minimum: 1024, description: 'Largest message a client may send' }), 64 * KiB),
  maxConnections: Default(Type.Integer({ minimum: 1, description: 'Open /ws connections at once; more are refused with 503' }), 1000),
});
/** `www.ws` as a config writes it. */
export type WsLimits = Static<typeof WsOptions>;
export type WsOptions = WsLimits & { /** URL path of the endpoint (embedding). Default '/ws'. */ path?: string };
export const WS_OPTION_DEFAULTS = defaultsOf(WsOptions);

/** `changeHooks.<forge dialect>.replay`. */
export const HookReplayOptions = Options({
  ttlSeconds: Default(Type.Number({ exclusiveMinimum: 0, description: 'The replay window in seconds (3 days: the time GitHub offers redelivery)' }), 3 * 24 * 3600),
  maxEntries: Default(Type.Integer({ minimum: 1, description: 'Deliveries remembered at most per dialect; the oldest go first' }), 100_000),
}, { description: 'Replay protection of a forge dialect: deliveries already recorded (by the digest of a signed body, or the delivery id) are kept in the database and a repeat is answered 200 "already received; ignored"' });
export const HOOK_REPLAY_DEFAULTS = defaultsOf(HookReplayOptions);

const forgeDialect = Type.Union([Type.Object({ replay: Type.Optional(Ref<Static<typeof HookReplayOptions>>('hookReplay')) }), Const(true)]);
// Buildbot's change hook dialects; each takes its own options (src/www/hooks/<dialect>.ts).
export const ChangeHooksOptions = Options({
  base: Type.Optional(Type.Union([AnyObject(), Const(true)])),
  github: Type.Optional(forgeDialect),
  gitlab: Type.Optional(forgeDialect),
  gerrit: Type.Optional(forgeDialect),
});

const Roles = () => Type.Array(Type.String());
const HttpUrl = (description: string) => Type.String({ pattern: '^https?://', description });

export const OAuthProviderOptions = Options({
  clientId: Type.String({ minLength: 1 }),
  clientSecret: Type.String({ minLength: 1 }),
  baseUrl: Type.Optional(HttpUrl('GitHub: https://github.com; GitLab: https://gitlab.com (self-hosted: its URL)')),
  apiUrl: Type.Optional(HttpUrl("GitHub's API root (default https://api.github.com)")),
  groupRoles: Type.Optional(Type.Unsafe({ type: 'object', additionalProperties: Roles(), description: 'Roles given to members of an organisation/group, by its login/path' })),
  defaultRoles: Type.Optional(Type.Array(Type.String(), { description: 'Roles every user logged in through this provider gets' })),
  maxGroupPages: Default(Type.Integer({ minimum: 1, description: "Most pages of the user's organisations (GitHub, 30 a page) or groups (GitLab, 100 a page) read at login; more refuses the login" }), 10),
}, { description: 'An OAuth2 application (GitHub or GitLab) for browser logins' });
export const OAUTH_PROVIDER_DEFAULTS = defaultsOf(OAuthProviderOptions);

export const AuthOptions = Options({
  users: Type.Optional(Type.Array(Options({ username: Type.String({ minLength: 1 }), roles: Roles() }), {
    description: "Roles by user name, added to those of the users store (mastro user add); OAuth users are 'github:<login>' / 'gitlab:<username>'",
  })),
  basic: Default(Type.Boolean({ description: 'Accept HTTP Basic credentials on the API' }), true),
  sessionTtlSec: Default(Type.Number({ exclusiveMinimum: 0, description: 'Browser session lifetime in seconds' }), 8 * 3600),
  maxSessions: Default(Type.Integer({ minimum: 1, description: 'Sessions kept at once; the oldest are dropped beyond this' }), 10_000),
  sessionSweepSec: Default(Type.Number({ minimum: 1, description: 'Seconds between sweeps deleting expired browser sessions from the database' }), 600),
  loginBurst: Default(Type.Integer({ minimum: 1, description: 'Failed logins allowed in a burst per address (then refused with 429) and per user name (then wrong passwords get 429, the right one still passes); also applies to change hook logins' }), 5),
  loginRefillPerSecond: Default(Type.Number({ minimum: 0, description: 'Failed logins given back per second after the burst' }), 0.1),
  publicUrl: Type.Optional(HttpUrl("Public URL for OAuth redirects (default buildbotURL or the request's Host)")),
  github: Type.Optional(OAuthProviderOptions),
  gitlab: Type.Optional(OAuthProviderOptions),
  oauthTimeoutMs: Default(Type.Integer({ minimum: 1, description: 'Milliseconds an OAuth provider request may take' }), 10_000),
}, { description: 'Who may log in and how' });
export const AUTH_OPTION_DEFAULTS = defaultsOf(AuthOptions);

export const AUTHZ_ACTIONS = ['view', 'force', 'stop', 'rebuild', 'cancel', 'admin'] as const;
export const AuthzRule = Options({
  actions: Type.Union([Const('*'), Type.Array(Enum(AUTHZ_ACTIONS))]),
  roles: Type.Array(Type.String(), { description: "Role names; 'authenticated' = any logged-in user, 'anonymous' = not logged in" }),
  builders: Type.Optional(Type.Array(Type.String(), { description: 'Only for builders matching one of these globs (* and ?)' })),
  branches: Type.Optional(Type.Array(Type.String(), { description: 'Only for builds of branches matching one of these globs' })),
});
export type AuthzAction = (typeof AUTHZ_ACTIONS)[number];
export type AuthzRule = Static<typeof AuthzRule>;
export const AuthzOptions = Options({
  anonymousView: Default(Type.Boolean({ description: 'Anyone may read the API and UI without logging in (like Buildbot)' }), true),
  rules: Type.Optional(Type.Array(AuthzRule, { description: 'Default: admin may do everything, any logged-in user may view' })),
}, { description: 'Which roles may do what; deny by default' });
export type AuthzOptions = Static<typeof AuthzOptions>;

const ChangeHookAuthEntry = Type.Union([
  Type.String({ pattern: '^file:.+' }),
  Options({ username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }),
  Options({ file: Type.String({ minLength: 1 }) }),
  Options({ usersStore: Type.Union([Const(true), Options({ roles: Type.Optional(Type.Array(Type.String(), { minItems: 1 })) })]) }),
]);
export const ChangeHookAuth = Type.Union([Type.Null(), Const(false), Type.Array(ChangeHookAuthEntry, { minItems: 1 })], {
  description: "HTTP Basic authentication of every change hook (Buildbot's change_hook_auth). Default none: hooks are open like Buildbot's, and checkconfig and the master warn when www listens beyond loopback. false = open on purpose. Entries: {username, password}; 'file:PATH' or {file: PATH} (Buildbot's password file, user:password lines, relative to the master directory); {usersStore: true | {roles: [...]}} (users of mastro user add)",
});

/** `www` (null disables the web server). */
export const WwwOptions = Options({
  port: Default(Port('HTTP port for the API, UI and change hooks; 0 picks a free port'), 8010),
  host: Default(Type.String({ description: 'Interface to listen on (all interfaces by default)' }), '0.0.0.0'),
  bodyLimit: Default(Type.Integer({ minimum: 1, description: 'Largest accepted request body in bytes (webhooks, API POSTs); bigger bodies get 413' }), 1 * MiB),
  headersTimeoutMs: Default(Type.Integer({ minimum: 0, description: 'Time a new connection has to send its request headers (a kept-alive one: from the first byte of its next request); 408 and closed otherwise (0 = none)' }), HTTP_CONNECTION_DEFAULTS.headersTimeoutMs),
  requestTimeoutMs: Default(Type.Integer({ minimum: 0, description: 'Time a connection has to send a whole request, body included; 408 and closed otherwise (0 = none)' }), HTTP_CONNECTION_DEFAULTS.requestTimeoutMs),
  idleTimeoutMs: Default(Type.Integer({ minimum: 0, description: 'A connection with no traffic for this long is closed, also between keep-alive requests (0 = never)' }), HTTP_CONNECTION_DEFAULTS.idleTimeoutMs),
  maxConnectionsPerAddress: Default(Type.Integer({ minimum: 0, description: 'Connections one remote address may hold at once; more are answered 503 and closed (0 = no limit). Behind a reverse proxy all connections come from the proxy: raise it there' }), HTTP_CONNECTION_DEFAULTS.maxConnectionsPerAddress),
  ws: Type.Optional(WsOptions),
  changeHooks: Type.Optional(ChangeHooksOptions),
  auth: Type.Optional(AuthOptions),
  authz: Type.Optional(AuthzOptions),
  changeHookAuth: Type.Optional(ChangeHookAuth),
});
export const WWW_OPTION_DEFAULTS = defaultsOf(WwwOptions);
export const WWW_OPTION_KEYS = Object.keys(WwwOptions.properties);
