/**
 * Change source options declared once (see declare.ts): the git poller's (src/changes/specs.ts has
 * the TypeScript form, where `branches` may also be a function and `httpToken` a secret). The mirror
 * poller's and Gerrit stream's options are checked by normalisation only (src/changes/validate.ts,
 * src/changes/mirror/options.ts): the schema takes any mapping for them.
 */
import { AnyObject, Const, Default, Enum, Nullable, Options, Ref, Type, defaultsOf } from './declare.js';

const MiB = 1024 * 1024;

const TokenFrom = (key: string, value: ReturnType<typeof Type.String>) => Options({ [key]: value });

export const GitPollerDeclaration = Options({
  repourl: Type.String({ description: 'Repository URL or path', minLength: 1 }),
  branches: Default(Type.Union([Type.Array(Type.String()), Const(true)], { description: "Branch names, or true for all (Buildbot's default: ['master'])" }), ['master']),
  pollInterval: Default(Type.Number({ description: "Seconds between polls (Buildbot's)", exclusiveMinimum: 0 }), 600),
  pollAtLaunch: Default(Type.Boolean({ description: 'Poll at start-up instead of after the first interval' }), false),
  firstPollChanges: Default(Type.Integer({ minimum: 0, description: 'Newest commits per branch the first poll turns into changes (0: only record the heads)' }), 0),
  workdir: Type.Optional(Type.String({ description: 'Bare clone directory, relative to the master dir' })),
  name: Type.Optional(Type.String()),
  project: Default(Type.String(), ''),
  category: Type.Optional(Nullable(Type.String())),
  codebase: Default(Type.String(), ''),
  gitTimeout: Default(Type.Number({ description: 'Seconds per git command (wall clock)', minimum: 1 }), 300),
  gitMaxOutputBytes: Default(Type.Integer({ minimum: 1024, description: 'Bytes of output one git command may print before it is killed and the poll fails' }), 64 * MiB),
  gitBin: Default(Type.String(), 'git'),
  sshPrivateKey: Type.Optional(Type.String({ minLength: 1, description: 'SSH private key for ssh URLs (relative to the master dir; must not be readable by group or others)' })),
  sshKnownHosts: Type.Optional(Type.String({ minLength: 1, description: 'known_hosts file for ssh (relative to the master dir)' })),
  sshStrictHostKeyChecking: Type.Optional(Enum(['yes', 'no', 'accept-new'], { description: "ssh StrictHostKeyChecking (default: ssh's)" })),
  httpToken: Type.Optional(Type.Union([
    Type.String({ minLength: 1 }),
    TokenFrom('env', Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    TokenFrom('file', Type.String({ minLength: 1 })),
    TokenFrom('secret', Type.String({ minLength: 1 })),
  ], { description: 'Token for http(s) URLs: the value, {env: NAME}, {file: path} (private, relative to the master dir) or {secret: name}; sent to git only through its environment' })),
  httpAuth: Default(Enum(['basic', 'bearer'], { description: 'How the token is sent' }), 'basic'),
  httpUsername: Default(Type.String({ minLength: 1, pattern: '^[^:\\r\\n]+$', description: 'User name for basic auth' }), 'x-access-token'),
});
export const GIT_POLLER_OPTION_DEFAULTS = defaultsOf(GitPollerDeclaration);

/** `changes.pb` in the YAML form (changes/pb/options.ts checks it and has its defaults). */
export const PbChangeSourceDeclaration = Options({
  user: Type.Optional(Type.String({"minLength": 1, "description": "User name clients log in with (default change)"})),
  passwd: Type.Optional(Type.String({"description": "Its password (default changepw)"})),
  port: Type.Optional(Type.Integer({"minimum": 0, "maximum": 65535, "description": "TCP port (default: the worker PB port, protocols.pb.port); another port gets a PB listener of its own"})),
  prefix: Type.Optional(Nullable(Type.String({"description": "Keep only files under this prefix, with the prefix cut off"}))),
  name: Type.Optional(Type.String({"description": "Name of the change source (default PBChangeSource:<prefix>:<port>, as Buildbot's)"})),
}, {"description": "Buildbot's PBChangeSource: buildbot sendchange and post-receive scripts written for it log in and add Changes"});

/** `{ <kind>: {...} }`, one key: a change source in the YAML form. */
export const ChangeSourceItem = Options({
  gitPoller: Type.Optional(Ref('gitPoller')),
  mirrorPoller: Type.Optional(AnyObject({ description: 'Mirror poller options (see changes.mirrorPoller)' })),
  gerritStream: Type.Optional(AnyObject({ description: 'Gerrit stream-events options (see changes.gerritStream)' })),
  pb: Type.Optional(Ref('pbChangeSource')),
}, { minProperties: 1, maxProperties: 1, description: '{gitPoller|mirrorPoller|gerritStream|pb: {...}}' });
