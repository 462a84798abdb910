/**
 * The reporters' options in the YAML form: `reporters: [{ <kind>: {...} }]`, each kind's options,
 * the generators and message formatters they take, and `reportDelivery`. With the other files of
 * this folder it is the published schema (published-schema.ts); config-schema.test.ts holds the
 * kinds listed here to REPORTER_KINDS and GENERATOR_KINDS (reporters/registry.ts, generators/).
 * The TypeScript option types and checks live with each reporter (reporters/*.ts); the delivery
 * defaults in reporters/delivery/options.ts.
 */
import { AnyObject, Const, Enum, Nullable, Options, Ref, Type } from './declare.js';

const SecretString = Type.Union([Type.String({"minLength": 1}), Options({
    secret: Type.String({"minLength": 1}),
  }, {"description": "util.secret(name): looked up in the secret providers when a report is sent"})]);

const MessageFormatter = Options({
  template: Type.Optional(Type.String({"description": "The body: %(prop:name)s reads build properties, %(kw:name)s the message context (buildername, result, build_url, status_detected, summary, ...). Default: the built-in text or HTML body"})),
  subject: Type.Optional(Type.String({"description": "The subject line, same interpolation; Buildbot's %(result)s, %(title)s, %(builder)s also work"})),
  templateType: Type.Optional(Enum(["plain", "html", "json"] as const, {"description": "plain (default), html or json"})),
  logTailLines: Type.Optional(Type.Integer({"minimum": 0, "description": "Lines of the failing step's log in the default body (default 40)"})),
});

const GeneratorBuildStatus = Options({
  mode: Type.Optional(Type.Union([Enum(["all", "failing", "passing", "problem", "warnings", "exception", "cancelled", "change"] as const), Type.Array(Enum(["failing", "passing", "problem", "warnings", "exception", "cancelled", "change"] as const))], {"description": "Which results are reported: all, failing, passing, problem (a failure after a build that did not fail), warnings (failing + warnings), exception, cancelled, change (differs from the previous build of the builder and branch). Default [failing, passing, warnings]"})),
  builders: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only these builders (default all); not together with tags"})),
  tags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builders with one of these tags (default all)"})),
  branches: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose branch property is one of these (default all)"})),
  schedulers: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose scheduler property is one of these (default all)"})),
  subject: Type.Optional(Type.String({"description": "Subject line (prefer messageFormatter.subject); default 'Buildbot %(result)s in %(title)s on %(builder)s'"})),
  messageFormatter: Type.Optional(Ref("messageFormatter")),
  addLogs: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String())], {"description": "Attach logs: true (all), false (default) or names (stdio, compile.stdio)"})),
  maxLogSize: Type.Optional(Type.Integer({"minimum": 1024, "description": "Bytes of each attached log kept, from its end (default 1048576)"})),
  reportNew: Type.Optional(Type.Boolean({"description": "Also report when a build starts (default false)"})),
});

const GeneratorBuildStartEnd = Options({
  builders: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only these builders (default all); not together with tags"})),
  tags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builders with one of these tags (default all)"})),
  branches: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose branch property is one of these (default all)"})),
  schedulers: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose scheduler property is one of these (default all)"})),
  startFormatter: Type.Optional(Ref("messageFormatter")),
  endFormatter: Type.Optional(Ref("messageFormatter")),
  addLogs: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String())], {"description": "Attach logs: true (all), false (default) or names (stdio, compile.stdio)"})),
  maxLogSize: Type.Optional(Type.Integer({"minimum": 1024, "description": "Bytes of each attached log kept, from its end (default 1048576)"})),
});

const GeneratorBuildSetStatus = Options({
  mode: Type.Optional(Type.Union([Enum(["all", "failing", "passing", "problem", "warnings", "exception", "cancelled", "change"] as const), Type.Array(Enum(["failing", "passing", "problem", "warnings", "exception", "cancelled", "change"] as const))], {"description": "Which results are reported: all, failing, passing, problem (a failure after a build that did not fail), warnings (failing + warnings), exception, cancelled, change (differs from the previous build of the builder and branch). Default [failing, passing, warnings]"})),
  builders: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only these builders (default all); not together with tags"})),
  tags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builders with one of these tags (default all)"})),
  branches: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose branch property is one of these (default all)"})),
  schedulers: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], {"description": "Only builds whose scheduler property is one of these (default all)"})),
  subject: Type.Optional(Type.String({"description": "Subject line (prefer messageFormatter.subject); default 'Buildbot %(result)s in %(title)s on %(builder)s'"})),
  messageFormatter: Type.Optional(Ref("messageFormatter")),
  addLogs: Type.Optional(Type.Union([Type.Boolean(), Type.Array(Type.String())], {"description": "Attach logs: true (all), false (default) or names (stdio, compile.stdio)"})),
  maxLogSize: Type.Optional(Type.Integer({"minimum": 1024, "description": "Bytes of each attached log kept, from its end (default 1048576)"})),
});

const GeneratorWorkerMissing = Options({
  workers: Type.Optional(Type.Union([Const("all"), Type.Array(Type.String())], {"description": "'all' (default) or worker names"})),
  messageFormatter: Type.Optional(Ref("messageFormatter")),
});

const Generator = Options({
  buildStatus: Type.Optional(Type.Union([Ref("generator_buildStatus"), Type.Null()])),
  buildStartEnd: Type.Optional(Type.Union([Ref("generator_buildStartEnd"), Type.Null()])),
  buildSetStatus: Type.Optional(Type.Union([Ref("generator_buildSetStatus"), Type.Null()])),
  workerMissing: Type.Optional(Type.Union([Ref("generator_workerMissing"), Type.Null()])),
}, {"minProperties": 1, "maxProperties": 1, "description": "{buildStatus|buildStartEnd|buildSetStatus|workerMissing: {...}}"});

const ReporterHttpStatusPush = Options({
  url: Type.Optional(Type.String({"pattern": "^https?://", "description": "Where each report's JSON document is POSTed"})),
  serverUrl: Type.Optional(Type.String({"pattern": "^https?://", "description": "Buildbot's name for url"})),
  auth: Type.Optional(Type.Union([Options({
      user: Type.String({"minLength": 1}),
      password: Ref("secretString"),
    }), Type.Unsafe({"type": "array", "items": [{"type": "string"}, {"$ref": "#/definitions/secretString"}], "minItems": 2, "maxItems": 2})], {"description": "HTTP Basic credentials"})),
  headers: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"$ref": "#/definitions/secretString"}, "description": "Extra request headers"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  debug: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterMailNotifier = Options({
  fromaddr: Type.String({"minLength": 3, "description": "The From address"}),
  relayhost: Type.Optional(Type.String({"minLength": 1, "description": "SMTP relay (default localhost)"})),
  smtpPort: Type.Optional(Type.Integer({"minimum": 1, "maximum": 65535, "description": "Default 25 (465 with useSmtps)"})),
  useTls: Type.Optional(Type.Boolean({"description": "Insist on STARTTLS (default false)"})),
  useSmtps: Type.Optional(Type.Boolean({"description": "TLS from the first byte (default false)"})),
  smtpUser: Type.Optional(Ref("secretString")),
  smtpPassword: Type.Optional(Ref("secretString")),
  sendToInterestedUsers: Type.Optional(Type.Boolean({"description": "Mail the changes' authors (default true)"})),
  extraRecipients: Type.Optional(Type.Array(Type.String(), {"description": "Addresses that get every mail"})),
  lookup: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Unsafe({"type": "object", "additionalProperties": {"type": "string"}})], {"description": "A mail domain for user names, or a mapping user -> address"})),
  extraHeaders: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "string"}})),
  ca: Type.Optional(Type.String({"minLength": 1})),
  rejectUnauthorized: Type.Optional(Type.Boolean({"description": "Verify the relay's TLS certificate (default true)"})),
  dumpMailsToLog: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterGitHubStatusPush = Options({
  token: Ref("secretString", {"description": "A token that may write commit statuses / comment on pull requests"}),
  baseURL: Type.Optional(Type.String({"pattern": "^https?://", "description": "API base URL (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  verbose: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  debug: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  context: Type.Optional(Type.String({"minLength": 1, "description": "The status's name, a template with the build's properties (default buildbot/%(prop:buildername)s)"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterGitHubCommentPush = Options({
  token: Ref("secretString", {"description": "A token that may write commit statuses / comment on pull requests"}),
  baseURL: Type.Optional(Type.String({"pattern": "^https?://", "description": "API base URL (default https://api.github.com; GitHub Enterprise: https://HOST/api/v3)"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  verbose: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  debug: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterGitLabStatusPush = Options({
  token: Ref("secretString", {"description": "A token with the api scope (sent as PRIVATE-TOKEN)"}),
  baseURL: Type.Optional(Type.String({"pattern": "^https?://", "description": "The GitLab instance (default https://gitlab.com)"})),
  context: Type.Optional(Type.String({"minLength": 1, "description": "The status's name, a template with the build's properties (default buildbot/%(prop:buildername)s)"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  verbose: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  debug: Type.Optional(Type.Boolean({"description": "Accepted for Buildbot compatibility; no effect"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterGerritStatusPush = Options({
  server: Type.Optional(Type.String({"minLength": 1, "description": "SSH: Gerrit's host (give this or baseURL)"})),
  port: Type.Optional(Type.Integer({"minimum": 1, "maximum": 65535, "description": "SSH port (default 29418)"})),
  username: Type.Optional(Type.String({"minLength": 1, "description": "SSH: the Gerrit account"})),
  identityFile: Type.Optional(Type.String({"minLength": 1, "description": "SSH: the account's private key"})),
  knownHostsFile: Type.Optional(Type.String({"minLength": 1, "description": "SSH: known_hosts holding Gerrit's host key (default ssh's)"})),
  hostKeyChecking: Type.Optional(Enum(["yes", "accept-new"] as const, {"description": "SSH: 'yes' (known keys only, default) or 'accept-new'"})),
  baseURL: Type.Optional(Type.String({"pattern": "^https?://", "description": "REST: Gerrit's URL (give this or server)"})),
  auth: Type.Optional(Type.Union([Options({
      user: Type.String({"minLength": 1}),
      password: Ref("secretString"),
    }), Type.Unsafe({"type": "array", "items": [{"type": "string"}, {"$ref": "#/definitions/secretString"}], "minItems": 2, "maxItems": 2})], {"description": "REST: HTTP Basic credentials (the user's HTTP password)"})),
  labels: Type.Optional(Options({
    success: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
    warnings: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
    failure: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
    skipped: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
    exception: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
    cancelled: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[A-Za-z0-9-]+$"}})),
  }, {"description": "Votes by result (default success {Verified: 1}, others {Verified: -1})"})),
  notify: Type.Optional(Enum(["NONE", "OWNER", "OWNER_REVIEWERS", "ALL"] as const, {"description": "Who Gerrit mails about the review"})),
  tag: Type.Optional(Type.Union([Type.String({"pattern": "^\\S+$"}), Type.Null()], {"description": "The review's tag (default autogenerated:mastro; null for none)"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterChatWebhook = Options({
  url: Type.Union([Type.String({"pattern": "^https?://"}), Ref("secretString")], {"description": "slack/mattermost: the incoming webhook's URL (a credential: prefer { secret: name }); matrix: the homeserver's URL"}),
  format: Type.Optional(Enum(["slack", "mattermost", "matrix"] as const, {"description": "Default slack"})),
  token: Type.Optional(Ref("secretString", {"description": "matrix: the bot's access token"})),
  room: Type.Optional(Type.String({"pattern": "^![^:\\s]+:\\S+$", "description": "matrix: the room ID (!abc:example.org)"})),
  msgtype: Type.Optional(Enum(["m.notice", "m.text"] as const, {"description": "matrix: default m.notice"})),
  username: Type.Optional(Type.String({"minLength": 1, "description": "slack/mattermost: the name to post as"})),
  channel: Type.Optional(Type.String({"minLength": 1, "description": "slack/mattermost: the channel to post to"})),
  iconUrl: Type.Optional(Type.String({"minLength": 1, "description": "slack/mattermost: the icon to post with"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  timeoutMs: Type.Optional(Type.Integer({"minimum": 1, "description": "Limit on one request, ms (default 30000)"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

const ReporterIrc = Options({
  host: Type.String({"minLength": 1, "description": "The IRC server"}),
  port: Type.Optional(Type.Integer({"minimum": 1, "maximum": 65535, "description": "Default 6667 (6697 with useSSL)"})),
  nick: Type.String({"pattern": "^[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]*$", "description": "The bot's nick"}),
  password: Type.Optional(Ref("secretString", {"description": "The server password (PASS)"})),
  useSSL: Type.Optional(Type.Boolean({"description": "TLS from the first byte (default false)"})),
  ca: Type.Optional(Type.String({"minLength": 1, "description": "Extra CA certificate: PEM text or a PEM file's path"})),
  verify: Type.Optional(Type.Boolean({"description": "Verify the TLS certificate (default true)"})),
  channels: Type.Optional(Type.Array(Type.Union([Type.String({"pattern": "^[#&+!]"}), Options({
      channel: Type.String({"pattern": "^[#&+!]"}),
      password: Type.Optional(Type.String({"minLength": 1})),
    })]), {"description": "Channels to join and announce in"})),
  pmToNicks: Type.Optional(Type.Array(Type.String({"pattern": "^[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]*$"}), {"description": "Nicks told the announcements in private"})),
  notifyEvents: Type.Optional(Type.Array(Type.Union([Enum(["started", "finished", "success", "warnings", "failure", "exception", "cancelled", "problem", "recovery", "worse", "better", "worker"] as const), Type.String({"pattern": "^(success|warnings|failure|exception)To(Success|Warnings|Failure|Exception)$"})]), {"description": "What is announced (default nothing)"})),
  allowForce: Type.Optional(Type.Boolean({"description": "Buildbot's older switch: everyone may force and stop (not with authz)"})),
  authz: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"anyOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "string", "minLength": 1}}]}, "description": "Who may run which command: true, false or a list of nicks ('' = harmless commands, '!' = force/stop, '*' = all)"})),
  tags: Type.Optional(Type.Array(Type.String(), {"description": "Announce only builders with one of these tags"})),
  noticeOnChannel: Type.Optional(Type.Boolean({"description": "Say things in channels as NOTICEs (default false)"})),
  useColors: Type.Optional(Type.Boolean({"description": "Colour the result words (default true)"})),
  showBlameList: Type.Optional(Type.Boolean({"description": "Name the changes' authors when a build did not succeed (default true)"})),
  name: Type.Optional(Type.String({"pattern": "^[A-Za-z0-9_.:@-]+$", "description": "Unique reporter name; it keys the reporter's queued reports (default: the kind)"})),
  generators: Type.Optional(Type.Array(Ref("generator"), {"description": "What to report and when (default: the reporter's own, as in Buildbot)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a failing report is retried (default reportDelivery.retryFor)"})),
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries of this reporter at once (default reportDelivery.concurrency)"})),
});

/** `reporters`: one `{ <kind>: {...} }` per reporter. */
export const ReportersOption = Type.Array(Options({
  httpStatusPush: Type.Optional(Ref("reporter_httpStatusPush")),
  mailNotifier: Type.Optional(Ref("reporter_mailNotifier")),
  gitHubStatusPush: Type.Optional(Ref("reporter_gitHubStatusPush")),
  gitHubCommentPush: Type.Optional(Ref("reporter_gitHubCommentPush")),
  gitLabStatusPush: Type.Optional(Ref("reporter_gitLabStatusPush")),
  gerritStatusPush: Type.Optional(Ref("reporter_gerritStatusPush")),
  chatWebhook: Type.Optional(Ref("reporter_chatWebhook")),
  irc: Type.Optional(Ref("reporter_irc")),
}, {"minProperties": 1, "maxProperties": 1, "description": "{httpStatusPush|mailNotifier|gitHubStatusPush|gitHubCommentPush|gitLabStatusPush|gerritStatusPush|chatWebhook|irc: {...}}"}), {"description": "Where build results go"});

/** `reportDelivery`: how the outbox is delivered (defaults: reporters/delivery/options.ts). */
export const ReportDeliveryOptions = Options({
  concurrency: Type.Optional(Type.Integer({"minimum": 1, "description": "Deliveries in flight at once per reporter (default 4)"})),
  retryFor: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a report failing with a retryable error is retried (default 21600)"})),
  retryInitialDelay: Type.Optional(Type.Number({"exclusiveMinimum": 0, "description": "Seconds before the first retry; doubles per attempt, with jitter (default 2)"})),
  retryMaxDelay: Type.Optional(Type.Number({"exclusiveMinimum": 0, "description": "Longest wait between attempts, seconds (default 300)"})),
  attemptTimeout: Type.Optional(Type.Number({"exclusiveMinimum": 0, "description": "Seconds one attempt may take (default 120)"})),
  retention: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds delivered and failed reports are kept (default 604800)"})),
  pollInterval: Type.Optional(Type.Number({"exclusiveMinimum": 0, "description": "Seconds between looks for reports of other masters and due retries (default 10)"})),
}, {"description": "How reports are delivered"});

/** The `definitions` the reporters' declarations add to the published schema, by the names `Ref` uses. */
export const REPORTER_DEFINITIONS = {
  secretString: SecretString,
  messageFormatter: MessageFormatter,
  generator_buildStatus: GeneratorBuildStatus,
  generator_buildStartEnd: GeneratorBuildStartEnd,
  generator_buildSetStatus: GeneratorBuildSetStatus,
  generator_workerMissing: GeneratorWorkerMissing,
  generator: Generator,
  reporter_httpStatusPush: ReporterHttpStatusPush,
  reporter_mailNotifier: ReporterMailNotifier,
  reporter_gitHubStatusPush: ReporterGitHubStatusPush,
  reporter_gitHubCommentPush: ReporterGitHubCommentPush,
  reporter_gitLabStatusPush: ReporterGitLabStatusPush,
  reporter_gerritStatusPush: ReporterGerritStatusPush,
  reporter_chatWebhook: ReporterChatWebhook,
  reporter_irc: ReporterIrc,
} as const;
