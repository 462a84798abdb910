/**
 * The force scheduler: starts builds on request (UI button, REST `force` action, `mastro
 * quickstart`). Submitted values are parsed by their typed parameters; every invalid field is
 * reported at once (ForceParamError.errors: field -> message) before anything is created.
 */
import type { AddBuildsetResult, SourceStampInput } from '../data/updates-api.js';
import type { SourcedProperties } from '../data/types.js';
import { BaseScheduler, type SchedulerServices } from './base.js';
import { ForceParamError, ForceSchedulerInactiveError, paramToApi, parseParam, type ForceParam } from './force-params.js';
import { resolveForceFields, type ForceFields } from './force-fields.js';
import type { CommonSchedulerOptions } from './specs.js';
import { optStr } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS } from './checks.js';
import type { ForcePlan, ForceRequest, ForceSchedulerLike } from '../process/master-control.js';

// Declared next to MasterControl, which hands force schedulers to the API.
export type { ForcePlan, ForceRequest } from '../process/master-control.js';

export interface ForceCodebaseOptions {
  name: string;
  /** Defaults or full parameters for branch / revision / repository / project. */
  branch?: string | ForceParam;
  revision?: string | ForceParam;
  repository?: string | ForceParam;
  project?: string | ForceParam;
}
export interface ForceOptions extends Omit<CommonSchedulerOptions, 'codebases' | 'reason'> {
  /** Reason field; a string sets the default. Default "force build". */
  reason?: string | ForceParam;
  /** Who forced; a string sets the default. */
  username?: string | ForceParam;
  /** One entry per codebase (names or options). Default: one codebase '' with branch and revision fields. */
  codebases?: (string | ForceCodebaseOptions)[];
  /** Extra parameters that become build properties. */
  parameters?: ForceParam[];
  buttonName?: string;
  label?: string;
}

export class ForceScheduler extends BaseScheduler<ForceOptions> implements ForceSchedulerLike {
  protected readonly buildbotClass = 'ForceScheduler';
  readonly fields: ForceFields;

  constructor(spec: Readonly<ForceOptions>, services: SchedulerServices) {
    super(spec, services);
    this.fields = resolveForceFields(spec);
  }

  protected async activate(): Promise<void> {}

  private static fullName(codebase: string, field: string): string {
    return codebase ? `${codebase}_${field}` : field;
  }

  /** Parses, checks and submits a request (`plan` + `submit`). */
  async force(req: ForceRequest = {}): Promise<AddBuildsetResult> {
    if (!this.active) throw new ForceSchedulerInactiveError(this.name);
    return this.submit(this.plan(req));
  }

  /**
   * What a request would build, with every field parsed (nothing is created). Fields that fail to
   * parse are listed in `errors`; their sourcestamp values are empty.
   */
  plan(req: ForceRequest = {}): ForcePlan {
    const values = req.params ?? {};
    const errors: Record<string, string> = {};
    const read = (p: ForceParam, fullName: string): unknown => {
      try { return parseParam(p, values[fullName]); } catch (msg) { errors[fullName] = String(msg); return undefined; }
    };
    const builderNames = req.builderNames ?? [...this.spec.builderNames];
    for (const b of builderNames) {
      if (!this.spec.builderNames.includes(b)) errors.builderNames = `builder ${JSON.stringify(b)} is not one of this scheduler's builders (${this.spec.builderNames.join(', ')})`;
    }
    if (builderNames.length === 0) errors.builderNames = 'at least one builder is needed';
    const reason = String(read(this.fields.reason, 'reason') ?? '');
    const username = String(read(this.fields.username, 'username') ?? '');
    const sourcestamps: SourceStampInput[] = this.fields.codebases.map((cb) => {
      const get = (f: 'branch' | 'revision' | 'repository' | 'project') => {
        const v = read(cb[f], ForceScheduler.fullName(cb.codebase, f));
        return v === undefined || v === null ? '' : String(v);
      };
      // An empty branch or revision stays '' as in Buildbot (scripts filter on branch=); consumers
      // (the git step) read '' as "none".
      return { codebase: cb.codebase, branch: get('branch'), revision: get('revision'), repository: get('repository'), project: get('project') };
    });
    const properties: SourcedProperties = {};
    for (const p of this.fields.parameters) {
      const v = read(p, p.name);
      if (v !== undefined) properties[p.name] = [v, 'Force Build Form'];
    }
    const owner = req.owner === undefined || req.owner === 'anonymous' ? username : req.owner;
    properties.reason = [reason, 'Force Build Form'];
    properties.owner = [owner, 'Force Build Form'];
    return { builderNames, sourcestamps, reason, owner, properties, errors };
  }

  /** Adds the buildset of a plan; refuses one with field errors (every one of them at once). */
  async submit(plan: ForcePlan): Promise<AddBuildsetResult> {
    if (!this.active) throw new ForceSchedulerInactiveError(this.name);
    if (Object.keys(plan.errors).length) throw new ForceParamError(plan.errors);
    // Buildbot's default reasonString.
    const result = await this.addBuildset({
      sourcestamps: [...plan.sourcestamps], reason: `A build was forced by '${plan.owner}': ${plan.reason}`, properties: { ...plan.properties }, builderNames: plan.builderNames,
    });
    // The caller is told "forced" only once the buildset is on disk (the database commits writes in groups).
    await this.services.updates.durable?.();
    return result;
  }

  /** Buildbot's `forceschedulers` resource shape. */
  toApi(): Record<string, unknown> {
    const fields: Record<string, unknown>[] = [paramToApi(this.fields.username), paramToApi(this.fields.reason)];
    for (const cb of this.fields.codebases) {
      for (const f of ['branch', 'revision', 'repository', 'project'] as const) fields.push(paramToApi(cb[f], ForceScheduler.fullName(cb.codebase, f)));
    }
    for (const p of this.fields.parameters) fields.push(paramToApi(p));
    return {
      name: this.name, button_name: this.spec.buttonName ?? this.name, label: this.spec.label ?? this.name,
      builder_names: [...this.spec.builderNames], enabled: true, all_fields: fields,
    };
  }
}

/** `schedulers.force`: buildsets started from the web UI's force form or the REST API. */
export const forceKind = schedulerKind({
  factory: (o: ForceOptions) => schedulerSpec({ ...o, kind: 'force' as const }),
  keys: [...COMMON_KEYS, 'username', 'parameters', 'buttonName', 'label'],
  check: (c, raw) => {
    try { resolveForceFields(raw as any); } catch (err) { c.here((err as Error).message); }
    optStr(c, raw, 'buttonName'); optStr(c, raw, 'label');
  },
  create: (spec, services) => new ForceScheduler(spec, services),
});
