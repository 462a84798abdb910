/**
 * The master's error catalog, like the protocol package's (packages/protocol/src/errors.ts): every
 * error a user can meet has a stable code, a one-line summary of what went wrong and what to do
 * about it, and a section in packages/master/ERRORS.md. A test (test/errors-catalog.test.ts) fails
 * when this table and the document disagree, so neither can drift.
 *
 * Codes are API: logs, scripts and other masters match on them, so a code is never renamed or
 * reused. Errors are recognised by their code (`hasErrorCode`), never by their class name: a config
 * loaded through tsx imports a second copy of mastro whose classes are not the master's.
 */

export interface CatalogEntry {
  /** What went wrong, in a user's words. */
  readonly summary: string;
  /** What to do about it. */
  readonly remedy: string;
}

/** Stable error codes. Values are the codes themselves so they survive serialisation. */
export const ErrorCodes = {
  CONFIG_INVALID: 'MASTRO_CONFIG_INVALID',
  MULTI_MASTER_UNSUPPORTED: 'MASTRO_MULTI_MASTER_UNSUPPORTED',
  STEPS_UNAVAILABLE: 'MASTRO_STEPS_UNAVAILABLE',
  OPTION_UNKNOWN: 'MASTRO_OPTION_UNKNOWN',
  USAGE: 'MASTRO_USAGE',
  CLI_FAILED: 'MASTRO_CLI_FAILED',
  DB_URL: 'MASTRO_DB_URL',
  NOT_FOUND: 'MASTRO_NOT_FOUND',
  BAD_QUERY: 'MASTRO_BAD_QUERY',
  UNKNOWN_ENTITY: 'MASTRO_UNKNOWN_ENTITY',
  NO_MASTER: 'MASTRO_NO_MASTER',
  BAD_RESULT: 'MASTRO_BAD_RESULT',
  ALREADY_CLAIMED: 'MASTRO_ALREADY_CLAIMED',
  NO_STATE: 'MASTRO_NO_STATE',
  HOOK_BAD_INPUT: 'MASTRO_HOOK_BAD_INPUT',
  FORCE_PARAM_INVALID: 'MASTRO_FORCE_PARAM_INVALID',
  FORCE_SCHEDULER_INACTIVE: 'MASTRO_FORCE_SCHEDULER_INACTIVE',
  GIT_COMMAND: 'MASTRO_GIT_COMMAND',
  GIT_POLLER: 'MASTRO_GIT_POLLER',
  GIT_CREDENTIAL: 'MASTRO_GIT_CREDENTIAL',
  MIRROR_HOOK_FAILED: 'MASTRO_MIRROR_HOOK_FAILED',
  SENDCHANGE_FAILED: 'MASTRO_SENDCHANGE_FAILED',
  SECRET: 'MASTRO_SECRET',
  INTERPOLATE: 'MASTRO_INTERPOLATE',
  STEP_CONFIG: 'MASTRO_STEP_CONFIG',
  GLOB_INVALID: 'MASTRO_GLOB_INVALID',
  TRY_JOB_INVALID: 'MASTRO_TRY_JOB_INVALID',
  TRY_JOBFILE_INVALID: 'MASTRO_TRY_JOBFILE_INVALID',
  AUTH_FAILED: 'MASTRO_AUTH_FAILED',
  OAUTH_FAILED: 'MASTRO_OAUTH_FAILED',
  USERS_STORE: 'MASTRO_USERS_STORE',
  LOG_LINES_DROPPED: 'MASTRO_LOG_LINES_DROPPED',
  DB_OUTAGE_TIMEOUT: 'MASTRO_DB_OUTAGE_TIMEOUT',
  MQ_TYPE_UNKNOWN: 'MASTRO_MQ_TYPE_UNKNOWN',
  // The reporters' delivery transports (reporters/transport/errors.ts names them for its callers).
  TRANSPORT_CONFIG: 'MASTRO_TRANSPORT_CONFIG',
  TRANSPORT_NETWORK: 'MASTRO_TRANSPORT_NETWORK',
  TRANSPORT_TIMEOUT: 'MASTRO_TRANSPORT_TIMEOUT',
  TRANSPORT_TLS: 'MASTRO_TRANSPORT_TLS',
  TRANSPORT_PROXY: 'MASTRO_TRANSPORT_PROXY',
  TRANSPORT_RATE_LIMITED: 'MASTRO_TRANSPORT_RATE_LIMITED',
  TRANSPORT_SERVER_ERROR: 'MASTRO_TRANSPORT_SERVER_ERROR',
  TRANSPORT_AUTH: 'MASTRO_TRANSPORT_AUTH',
  TRANSPORT_REFUSED: 'MASTRO_TRANSPORT_REFUSED',
  TRANSPORT_HOST_KEY: 'MASTRO_TRANSPORT_HOST_KEY',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorCatalog: Readonly<Record<ErrorCode, CatalogEntry>> = {
  [ErrorCodes.CONFIG_INVALID]: {
    summary: 'The master config has one or more mistakes; each is listed with its path, e.g. `builders[0].workerNames[1]`.',
    remedy: 'Fix each listed mistake in the config file and run `mastro checkconfig DIR` until it reports none.',
  },
  [ErrorCodes.MULTI_MASTER_UNSUPPORTED]: {
    summary: '`multiMaster: true` asks for several masters sharing one database, which mastro does not support yet.',
    remedy: 'Remove `multiMaster` (or set it to false) and run one master per database.',
  },
  [ErrorCodes.STEPS_UNAVAILABLE]: {
    summary: 'The step types could not be loaded, so a YAML config cannot build its steps; the cause is in the message.',
    remedy: 'The mastro installation is broken: reinstall it (`npm install mastro`, or `npm run build` in a checkout).',
  },
  [ErrorCodes.OPTION_UNKNOWN]: {
    summary: 'A component was given an option it does not know (usually a typo, e.g. `bodylimit` for `bodyLimit`).',
    remedy: 'Use the option the message suggests, or remove it; the known options are listed in the message.',
  },
  [ErrorCodes.USAGE]: {
    summary: 'A `mastro` command was called with wrong or missing arguments.',
    remedy: "Correct the arguments as the message says; `mastro COMMAND --help` shows a command's usage.",
  },
  [ErrorCodes.CLI_FAILED]: {
    summary: 'A `mastro` command could not do its job (e.g. the master directory is missing or the master is not running).',
    remedy: 'Do what the message says, then run the command again.',
  },
  [ErrorCodes.DB_URL]: {
    summary: '`db.url` is not a database URL mastro can open.',
    remedy: 'Use `sqlite:state.sqlite`, `sqlite::memory:` or `postgresql://user:password@host/dbname`.',
  },
  [ErrorCodes.NOT_FOUND]: {
    summary: 'The API path or id does not exist (HTTP 404).',
    remedy: 'Check the path against the data API (`/api/v2/openapi.json`) and the id against a collection read.',
  },
  [ErrorCodes.BAD_QUERY]: {
    summary: 'A query parameter of an API read is malformed or names an unknown field (HTTP 400).',
    remedy: 'Use the fields the message lists; filters are `field=value`, `field__ne=value`, etc.',
  },
  [ErrorCodes.UNKNOWN_ENTITY]: {
    summary: 'A write refers to a build, step, log or other entity that does not exist.',
    remedy: 'Refer to an existing id (an extension calling the data API passed a stale one).',
  },
  [ErrorCodes.NO_MASTER]: {
    summary: "A data write needs the master's id before the master registered itself.",
    remedy: 'Call `updates.masterActive(name)` at start-up before writing (embedding code only).',
  },
  [ErrorCodes.BAD_RESULT]: {
    summary: 'A build request was completed with RETRY, which is not a final result.',
    remedy: 'Unclaim the request so it runs again instead of completing it (extension code only).',
  },
  [ErrorCodes.ALREADY_CLAIMED]: {
    summary: 'A build request to cancel was claimed by a build meanwhile (HTTP 409).',
    remedy: 'Stop the build that runs it instead of cancelling the request.',
  },
  [ErrorCodes.NO_STATE]: {
    summary: 'A state value was read that was never stored and no default was given.',
    remedy: 'Pass a default to `getState` (extension code only).',
  },
  [ErrorCodes.HOOK_BAD_INPUT]: {
    summary: 'A change hook request lacks a field or has a malformed one (HTTP 400).',
    remedy: 'Send the fields the dialect needs (see src/www/README.md); the message names the wrong one.',
  },
  [ErrorCodes.FORCE_PARAM_INVALID]: {
    summary: "A force request's parameters do not pass the force scheduler's parameter checks.",
    remedy: 'Correct each parameter the message names (choices, required fields, integer values).',
  },
  [ErrorCodes.FORCE_SCHEDULER_INACTIVE]: {
    summary: 'The force scheduler is stopping or being reconfigured on this master.',
    remedy: 'Try again in a moment.',
  },
  [ErrorCodes.GIT_COMMAND]: {
    summary: 'A git command of a change source failed: it exited non-zero, ran too long, printed too much, could not start, or was refused as unsafe.',
    remedy: "Read git's message in the error; raise `gitTimeout` or `gitMaxOutputBytes` if the repository is just big.",
  },
  [ErrorCodes.GIT_POLLER]: {
    summary: 'A git poller could not poll its repository.',
    remedy: 'Check `repourl`, the branches and the credentials the message names.',
  },
  [ErrorCodes.GIT_CREDENTIAL]: {
    summary: "A git poller's credentials cannot be used (a missing environment variable, an unreadable or too-open key file).",
    remedy: 'Provide the credential the message names; key and token files must be mode 600.',
  },
  [ErrorCodes.MIRROR_HOOK_FAILED]: {
    summary: "A mirror poller's hook command exited non-zero or timed out; the end of its output is in the message.",
    remedy: 'Fix the hook command; it is retried at the next poll.',
  },
  [ErrorCodes.SENDCHANGE_FAILED]: {
    summary: '`mastro sendchange` could not deliver the change to the master.',
    remedy: "Check `--master` (host:port of the master's HTTP server), the credentials and that the `base` change hook is enabled.",
  },
  [ErrorCodes.SECRET]: {
    summary: 'A secret a build or config needs could not be read, is named unsafely, or is stored where others can read it.',
    remedy: "Do what the message says: add the secret to a provider (a file named after it in the `secrets.directory(...)` folder, mode 600) or fix its name.",
  },
  [ErrorCodes.INTERPOLATE]: {
    summary: 'An `Interpolate` format string is malformed or names an unknown kind of value.',
    remedy: 'Use `%(prop:name)s`, `%(secret:name)s`, `%(src:codebase:attr)s`, `%(worker:attr)s` or `%(kw:name)s` forms.',
  },
  [ErrorCodes.STEP_CONFIG]: {
    summary: 'A step was given a wrong option; the message names the step type and the option.',
    remedy: "Correct the option as the message says (see the step's documentation).",
  },
  [ErrorCodes.GLOB_INVALID]: {
    summary: 'A file pattern of a change filter cannot be parsed.',
    remedy: 'Correct the pattern (gitignore-like globs: `docs/**`, `*.md`, `!pattern`), or use `{ regex }`.',
  },
  [ErrorCodes.TRY_JOB_INVALID]: {
    summary: 'A try request names a builder the scheduler does not build, or lacks a revision or patch.',
    remedy: "Send the try job to one of the scheduler's `builderNames` with a base revision.",
  },
  [ErrorCodes.TRY_JOBFILE_INVALID]: {
    summary: 'A try job file in the jobdir is malformed or of an unknown version; it is left in `jobdir/cur`.',
    remedy: 'Submit it again with `buildbot try` or `mastro try` (Buildbot job file formats 1 to 6).',
  },
  [ErrorCodes.AUTH_FAILED]: {
    summary: 'A request to the web server has wrong or no credentials (HTTP 401), or too many failed logins (HTTP 429).',
    remedy: 'Log in with a valid user, password or API token; after 429 wait the Retry-After seconds.',
  },
  [ErrorCodes.OAUTH_FAILED]: {
    summary: 'An OAuth2 login (GitHub, GitLab) failed at the provider or was refused.',
    remedy: "Check `www.auth.github|gitlab` (clientId, clientSecret, baseUrl) and the provider's answer in the message.",
  },
  [ErrorCodes.USERS_STORE]: {
    summary: 'The local users file (`users.json` in the master directory) cannot be read or changed as asked.',
    remedy: 'Do what the message says (e.g. pick another user name, or fix the file with `mastro user` commands).',
  },
  [ErrorCodes.LOG_LINES_DROPPED]: {
    summary: 'The database could not be written for so long that the log output held meanwhile filled `db.outageBufferSize`; newer lines were dropped, a marker line in the log says how many, and the build ends RETRY (HTTP 503).',
    remedy: 'Nothing for the build: it runs again once the database is back. To ride out longer outages, raise `db.outageBufferSize`.',
  },
  [ErrorCodes.DB_OUTAGE_TIMEOUT]: {
    summary: 'The database stayed unavailable (a stopped server, a full disk) for longer than `db.outageTimeout`, so a write gave up; a build result it could not record is settled when the master next starts.',
    remedy: 'Bring the database back (start the server, free disk space); raise `db.outageTimeout` to wait longer.',
  },
  [ErrorCodes.MQ_TYPE_UNKNOWN]: {
    summary: 'A master was built with an `mq.type` this master does not have (a config gets the same refusal from `mastro checkconfig`).',
    remedy: "Use one of the types the message lists (`mq: { type: 'simple' }`, the default), or leave `mq` out.",
  },
  [ErrorCodes.TRANSPORT_CONFIG]: {
    summary: 'A reporter\'s delivery options are unusable (a malformed URL, an unreadable CA file, an invalid IRC nick); nothing was sent.',
    remedy: 'Fix the option the message names in the reporter\'s config; the delivery is not retried until then.',
  },
  [ErrorCodes.TRANSPORT_NETWORK]: {
    summary: 'A reporter could not reach its service, or the connection broke (refused, reset, host name not found); the delivery is retried.',
    remedy: 'Check that the host in the message resolves and accepts connections from the master (firewall, proxy, DNS).',
  },
  [ErrorCodes.TRANSPORT_TIMEOUT]: {
    summary: 'A reporter\'s service did not answer in time (connecting or the whole request); the delivery is retried.',
    remedy: 'Check the service\'s health; if it is only slow, raise the reporter\'s timeout option.',
  },
  [ErrorCodes.TRANSPORT_TLS]: {
    summary: 'The TLS handshake with a reporter\'s service failed or its certificate is not trusted; the delivery is retried.',
    remedy: 'For a server with a private CA give the reporter its `ca` file; otherwise fix the server\'s certificate (name, expiry, chain).',
  },
  [ErrorCodes.TRANSPORT_PROXY]: {
    summary: 'The HTTP proxy refused or failed a reporter\'s connection; retried unless the proxy asked for credentials.',
    remedy: 'Check `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` in the master\'s environment, and the proxy\'s credentials if it asked for them.',
  },
  [ErrorCodes.TRANSPORT_RATE_LIMITED]: {
    summary: 'A reporter\'s service asked it to slow down (a rate limit or `Retry-After`); deliveries to it wait that long, then go on.',
    remedy: 'Nothing for one occurrence; if it keeps happening, send fewer reports to that service (fewer builders or events) or use a token with a higher limit.',
  },
  [ErrorCodes.TRANSPORT_SERVER_ERROR]: {
    summary: 'A reporter\'s service failed the request (HTTP 5xx or 408, an SMTP 4xx reply); the delivery is retried.',
    remedy: 'Nothing unless it persists; then check the service\'s status and the answer quoted in the message.',
  },
  [ErrorCodes.TRANSPORT_AUTH]: {
    summary: 'A reporter\'s service refused its credentials (HTTP 401, SMTP 535, an SSH key not accepted); not retried.',
    remedy: 'Give the reporter a valid token, password or key (check it has not expired or been revoked).',
  },
  [ErrorCodes.TRANSPORT_REFUSED]: {
    summary: 'A reporter\'s service refused this request (another HTTP 4xx such as a missing repository or permission, an SMTP 5xx such as an unknown recipient); not retried.',
    remedy: 'Fix what the service\'s answer in the message names (repository, permissions, recipient, body) in the reporter\'s config.',
  },
  [ErrorCodes.TRANSPORT_HOST_KEY]: {
    summary: 'The SSH server\'s host key is unknown to the master or has changed; nothing was sent.',
    remedy: 'Add the server\'s key to the known_hosts file the reporter uses (after checking its fingerprint), or find out why it changed.',
  },
};

/** An error with one of the catalog's codes. */
export class MastroError extends Error {
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MastroError';
  }
}

/**
 * Whether `err` carries `code`. Matches on the code, which is the same in every copy of mastro a
 * process holds (a config's tsx namespace imports its own), where `instanceof` is not.
 */
export function hasErrorCode(err: unknown, code: ErrorCode): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
