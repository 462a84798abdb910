/**
 * Scheduler options declared once (see declare.ts): one declaration per kind of
 * `schedulers.<kind>({...})`, the options schedulers share, change filters and force parameters.
 * The TypeScript forms (src/schedulers/specs.ts) are wider where a config passes functions or
 * RegExps; normalisation (src/schedulers/validate.ts) checks those. Each kind is published as the
 * definition `scheduler_<kind>`; a YAML scheduler is `{ <kind>: {...} }`.
 */
import { AnyObject, Default, MapOf, Nullable, Options, Ref, Type, defaultsOf } from './declare.js';

const Regex = Options({ regex: Type.String(), flags: Type.Optional(Type.String()) });

/** One codebase of a change-driven scheduler (Buildbot's `codebases` dict values). */
const Codebase = Options({
  repository: Type.Optional(Type.String()),
  branch: Type.Optional(Type.String()),
  revision: Type.Optional(Type.String()),
  project: Type.Optional(Type.String()),
});

/** Options of every scheduler (Buildbot's BaseScheduler). */
const SchedulerBase = {
  name: Type.String({ description: 'Unique scheduler name', minLength: 1 }),
  builderNames: Type.Array(Type.String(), { description: 'Builders this scheduler starts' }),
  properties: Type.Optional(AnyObject({ description: 'Buildset properties (source Scheduler)' })),
  codebases: Type.Optional(Type.Union([Type.Array(Type.String()), MapOf(Codebase)])),
  priority: Type.Optional(Type.Integer({ description: 'Buildset priority, higher first (default 0)' })),
  reason: Type.Optional(Type.String({ description: 'Buildset reason' })),
};

/** What a new buildset does to earlier ones of its concurrency group. */
const Overlap = {
  overlap: Type.Optional(Type.String({ enum: ['queue', 'collapse', 'cancel-in-progress'], description: 'Earlier buildsets of the same concurrency group and branch: queue (default), collapse (cancel their pending requests), cancel-in-progress (also stop their running builds)' })),
  concurrencyGroup: Type.Optional(Type.String({ description: 'Concurrency group name (default: the scheduler name)' })),
  unchangedCodebases: Type.Optional(Type.String({ enum: ['knownGood', 'head'], description: "Codebases without a change: last successful build's revision (knownGood, default) or branch head" })),
};

const CronField = (description: string) => Type.Optional(Type.Union([Type.Integer(), Type.String(), Type.Array(Type.Integer())], { description }));
/** Buildbot's Nightly fields, or cron. */
const CronFields = {
  cron: Type.Optional(Type.String({ description: 'Cron expression, e.g. "0 3 * * 1-5" (Sunday = 0, as in cron); or use the Buildbot fields below' })),
  minute: CronField('Buildbot field (default 0)'),
  hour: CronField('Buildbot field (default every hour)'),
  dayOfMonth: CronField('Buildbot field (default every day)'),
  month: CronField('Buildbot field (default every month)'),
  dayOfWeek: CronField("Buildbot field, Monday = 0 as in Buildbot (default every day); day names and ranges in text are cron's (Sunday = 0)"),
  timeZone: Type.Optional(Type.String({ description: 'IANA time zone' })),
};

// ---- change filters

export const Matcher = Type.Union([Nullable(Type.String()), Type.Array(Nullable(Type.String())), Regex], { description: 'A value, a list of values, or {regex: "..."}' });

export const FileMatcher = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Union([Type.String({ minLength: 1 }), Regex]), { minItems: 1 }), Regex], {
  description: "File paths: a glob ('docs/**', '*.md'; '!' excludes in a list), a list of globs, or {regex: \"...\"}. Globs without '/' match at any depth; a directory name matches everything below it.",
});

export const ChangeFilter = Options({
  project: Type.Optional(Ref('matcher')),
  repository: Type.Optional(Ref('matcher')),
  branch: Type.Optional(Ref('matcher')),
  category: Type.Optional(Ref('matcher')),
  codebase: Type.Optional(Ref('matcher')),
  files: Type.Optional(Ref('fileMatcher', { description: 'At least one changed file matches' })),
  onlyFiles: Type.Optional(Ref('fileMatcher', { description: 'Every changed file matches (e.g. docs-only changes); a change without files matches neither' })),
}, { description: 'Every given field must match; files: some changed file matches; onlyFiles: all changed files match' });

// ---- force parameters (schedulers.params.*)

const ParamBase = {
  name: Type.String({ minLength: 1 }),
  label: Type.Optional(Type.String()),
  required: Type.Optional(Type.Boolean()),
  hide: Type.Optional(Type.Boolean()),
};
const TextParamOptions = {
  ...ParamBase,
  default: Type.Optional(Type.String()),
  regex: Type.Optional(Type.String()),
  maxsize: Type.Optional(Type.Integer({ minimum: 1 })),
};
export const StringParam = Options(TextParamOptions);
export const TextParam = Options(TextParamOptions);
export const IntParam = Options({ ...ParamBase, default: Type.Optional(Type.Integer()) });
export const BooleanParam = Options({ ...ParamBase, default: Type.Optional(Type.Boolean()) });
export const ChoiceParam = Options({
  ...ParamBase,
  choices: Type.Array(Type.String()),
  multiple: Type.Optional(Type.Boolean()),
  strict: Type.Optional(Type.Boolean()),
  default: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});
export const FixedParam = Options({ ...ParamBase, default: Type.Unknown() });

const PARAM_KINDS = ['string', 'text', 'int', 'boolean', 'choice', 'fixed'] as const;
export const ForceParam = Options(Object.fromEntries(PARAM_KINDS.map((k) => [k, Type.Optional(Ref(`param_${k}`))])), {
  minProperties: 1, maxProperties: 1, description: `{${PARAM_KINDS.join('|')}: {...}}`,
});

const StringOrParam = () => Type.Optional(Type.Union([Type.String(), Ref('forceParam')]));

// ---- the kinds

export const AnyBranchScheduler = Options({
  ...SchedulerBase,
  treeStableTimer: Type.Optional(Nullable(Type.Number({ minimum: 0, description: 'Seconds without changes before building; null = every change at once (default)' }))),
  changeFilter: Type.Optional(Ref('changeFilter')),
  onlyImportant: Type.Optional(Type.Boolean()),
  ...Overlap,
});

export const SingleBranchScheduler = Options({
  ...SchedulerBase,
  treeStableTimer: AnyBranchScheduler.properties.treeStableTimer,
  changeFilter: Type.Optional(Ref('changeFilter')),
  onlyImportant: Type.Optional(Type.Boolean()),
  branch: Type.Optional(Nullable(Type.String({ description: 'Branch to watch; null = default branch' }))),
  ...Overlap,
});

export const ForceScheduler = Options({
  name: SchedulerBase.name,
  builderNames: SchedulerBase.builderNames,
  properties: SchedulerBase.properties,
  priority: SchedulerBase.priority,
  reason: StringOrParam(),
  username: StringOrParam(),
  codebases: Type.Optional(Type.Array(Type.Union([Type.String(), Options({
    name: Type.String(),
    branch: StringOrParam(),
    revision: StringOrParam(),
    repository: StringOrParam(),
    project: StringOrParam(),
  })]))),
  parameters: Type.Optional(Type.Array(Ref('forceParam'))),
  buttonName: Type.Optional(Type.String()),
  label: Type.Optional(Type.String()),
  ...Overlap,
});

export const TriggerableScheduler = Options({ ...SchedulerBase, ...Overlap });

export const PeriodicScheduler = Options({
  ...SchedulerBase,
  periodicBuildTimer: Type.Number({ description: 'Seconds between buildsets', minimum: 1 }),
  branch: Type.Optional(Nullable(Type.String())),
  ...Overlap,
});

export const NightlyScheduler = Options({
  ...SchedulerBase,
  ...CronFields,
  onlyIfChanged: Type.Optional(Type.Boolean()),
  branch: Type.Optional(Nullable(Type.String())),
  changeFilter: Type.Optional(Ref('changeFilter')),
  ...Overlap,
});

export const DependentScheduler = Options({
  ...SchedulerBase,
  ...Overlap,
  upstream: Type.String({ minLength: 1, description: 'Name of the upstream scheduler whose successful buildsets start this one' }),
});

export const TryUserpassScheduler = Options({
  ...SchedulerBase,
  overlap: Overlap.overlap,
  concurrencyGroup: Overlap.concurrencyGroup,
  port: Type.Integer({ minimum: 0, description: 'TCP port of the try endpoint: mastro try (HTTP) and buildbot try --connect=pb (PB) on one port; the worker PB port takes the PB logins there (0 = any free port)' }),
  host: Type.Optional(Type.String({ description: 'Interface to listen on (default 127.0.0.1)' })),
  userpass: Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 2, maxItems: 2 }), { minItems: 1, description: '[username, password] pairs' }),
  maxRequestBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Largest accepted try request in bytes (default 10 MiB)' })),
});

export const UpstreamScheduler = Options({
  ...SchedulerBase,
  ...Overlap,
  url: Type.String({ description: "Base URL of the upstream master's web server" }),
  builder: Type.String({ minLength: 1, description: 'Upstream builder whose successful builds are followed' }),
  codebase: Default(Type.String({ description: 'Local codebase pinned at the upstream revision' }), ''),
  pollInterval: Default(Type.Number({ exclusiveMinimum: 0, description: 'Seconds between polls' }), 30),
  auth: Type.Optional(AnyObject({ description: '{username, password} or {token}' })),
  requestTimeout: Default(Type.Number({ exclusiveMinimum: 0, description: 'Seconds per upstream request' }), 30),
});
export const UPSTREAM_OPTION_DEFAULTS = defaultsOf(UpstreamScheduler);

export const NightlyTriggerableScheduler = Options({ ...SchedulerBase, ...CronFields }, {
  description: 'Buildbot NightlyTriggerable: trigger steps record SourceStamps and properties; at each cron time (default minute 0 of every hour) one buildset starts from the latest trigger since the last run',
});

export const TryJobdirScheduler = Options({
  ...SchedulerBase,
  jobdir: Type.String({ minLength: 1, description: 'Job directory (tmp, new, cur created in it); relative to the master directory' }),
  pollInterval: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds between rescans of <jobdir>/new, the fallback for missed file-system events (default 10)' })),
  maxJobBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Largest accepted job file in bytes (default 10485760)' })),
}, { description: 'Buildbot Try_Jobdir: job files written by `mastro tryserver` (buildbot try --connect=ssh) become buildsets with the patch' });

/** Each kind by the name a YAML config writes; `try` is Buildbot's name of tryUserpass. */
const KINDS = {
  anyBranch: AnyBranchScheduler,
  singleBranch: SingleBranchScheduler,
  force: ForceScheduler,
  triggerable: TriggerableScheduler,
  periodic: PeriodicScheduler,
  nightly: NightlyScheduler,
  dependent: DependentScheduler,
  tryUserpass: TryUserpassScheduler,
  upstream: UpstreamScheduler,
  nightlyTriggerable: NightlyTriggerableScheduler,
  tryJobdir: TryJobdirScheduler,
} as const;
const YAML_ORDER = ['anyBranch', 'singleBranch', 'force', 'triggerable', 'periodic', 'nightly', 'dependent', 'tryUserpass', 'upstream', 'try', 'nightlyTriggerable', 'tryJobdir'] as const;

/** `{ <kind>: {...} }`, one key. */
export const SchedulerItem = Options(Object.fromEntries(YAML_ORDER.map((k) => [k, Type.Optional(Ref(`scheduler_${k === 'try' ? 'tryUserpass' : k}`))])), {
  minProperties: 1, maxProperties: 1,
  description: '{anyBranch|singleBranch|force|triggerable|periodic|nightly|dependent|try|tryUserpass|upstream|nightlyTriggerable|tryJobdir: {...}}',
});

/** The definitions these declarations publish. */
export const SCHEDULER_DEFINITIONS = {
  scheduler: SchedulerItem,
  matcher: Matcher,
  changeFilter: ChangeFilter,
  fileMatcher: FileMatcher,
  forceParam: ForceParam,
  param_string: StringParam,
  param_text: TextParam,
  param_int: IntParam,
  param_boolean: BooleanParam,
  param_choice: ChoiceParam,
  param_fixed: FixedParam,
  ...Object.fromEntries(Object.entries(KINDS).map(([k, v]) => [`scheduler_${k}`, v])),
};
