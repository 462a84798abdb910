/**
 * Typed parameters of a force scheduler (Buildbot's StringParameter, IntParameter, ...). Each
 * parameter parses the submitted value and says clearly what is wrong with it; the force scheduler
 * collects every parameter error before refusing a request.
 */
import { ErrorCodes } from '../errors/catalog.js';

export type ForceParamType = 'string' | 'text' | 'int' | 'boolean' | 'choice' | 'fixed';

export interface ForceParamBase {
  readonly type: ForceParamType;
  readonly name: string;
  readonly label: string;
  readonly required: boolean;
  readonly default: unknown;
  /** Hidden from the form but still applied (Buildbot's `hide`). */
  readonly hide: boolean;
}

export interface StringParam extends ForceParamBase { readonly type: 'string' | 'text'; readonly default: string; readonly regex: RegExp | null; readonly maxsize: number | null }
export interface IntParam extends ForceParamBase { readonly type: 'int'; readonly default: number }
export interface BooleanParam extends ForceParamBase { readonly type: 'boolean'; readonly default: boolean }
export interface ChoiceParam extends ForceParamBase { readonly type: 'choice'; readonly choices: readonly string[]; readonly multiple: boolean; readonly strict: boolean; readonly default: string | string[] }
export interface FixedParam extends ForceParamBase { readonly type: 'fixed'; readonly default: unknown }
export type ForceParam = StringParam | IntParam | BooleanParam | ChoiceParam | FixedParam;

export interface ForceParamCommon { name: string; label?: string; required?: boolean; hide?: boolean }

function base(type: ForceParamType, o: ForceParamCommon) {
  return { type, name: o.name, label: o.label ?? o.name, required: o.required ?? false, hide: o.hide ?? false };
}

/** Factories, exposed to configs as `schedulers.params.*`. */
export const params = {
  string(o: ForceParamCommon & { default?: string; regex?: RegExp | string; maxsize?: number }): StringParam {
    return { ...base('string', o), type: 'string', default: o.default ?? '', regex: o.regex == null ? null : new RegExp(o.regex), maxsize: o.maxsize ?? null };
  },
  text(o: ForceParamCommon & { default?: string; regex?: RegExp | string; maxsize?: number }): StringParam {
    return { ...params.string(o), type: 'text' };
  },
  int(o: ForceParamCommon & { default?: number }): IntParam {
    return { ...base('int', o), type: 'int', default: o.default ?? 0 };
  },
  boolean(o: ForceParamCommon & { default?: boolean }): BooleanParam {
    return { ...base('boolean', o), type: 'boolean', default: o.default ?? false };
  },
  choice(o: ForceParamCommon & { choices: string[]; default?: string | string[]; multiple?: boolean; strict?: boolean }): ChoiceParam {
    const multiple = o.multiple ?? false;
    return { ...base('choice', o), type: 'choice', choices: [...o.choices], multiple, strict: o.strict ?? true, default: o.default ?? (multiple ? [] : o.choices[0] ?? '') };
  },
  fixed(o: ForceParamCommon & { default: unknown }): FixedParam {
    return { ...base('fixed', o), type: 'fixed', default: o.default };
  },
};

export class ForceParamError extends Error {
  readonly code = ErrorCodes.FORCE_PARAM_INVALID;
  constructor(readonly errors: Readonly<Record<string, string>>) {
    super(`invalid force parameters: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    this.name = 'ForceParamError';
  }
}

/** A force scheduler asked to build while it is not running on this master (stopped, or being reconfigured). */
export class ForceSchedulerInactiveError extends Error {
  readonly code = ErrorCodes.FORCE_SCHEDULER_INACTIVE;
  constructor(readonly scheduler: string) {
    super(`force scheduler '${scheduler}' is not running on this master (it is stopping or being reconfigured); try again in a moment`);
    this.name = 'ForceSchedulerInactiveError';
  }
}

/** Parses one submitted value (strings from a form, or typed JSON values); throws a message string. */
export function parseParam(p: ForceParam, raw: unknown): unknown {
  if (raw === undefined || raw === null || raw === '') {
    if (p.required) throw 'is required';
    return p.default;
  }
  switch (p.type) {
    case 'fixed':
      return p.default;
    case 'string':
    case 'text': {
      if (typeof raw !== 'string') throw `must be a string, got ${typeof raw}`;
      if (p.maxsize !== null && Buffer.byteLength(raw) > p.maxsize) throw `is longer than ${p.maxsize} bytes`;
      if (p.regex && !p.regex.test(raw)) throw `does not match ${p.regex}`;
      return raw;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw `must be an integer, got ${JSON.stringify(raw)}`;
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'on' || raw === '1' || raw === 1) return true;
      if (raw === 'false' || raw === 'off' || raw === '0' || raw === 0) return false;
      throw `must be true or false, got ${JSON.stringify(raw)}`;
    }
    case 'choice': {
      const values = Array.isArray(raw) ? raw : [raw];
      if (!p.multiple && values.length !== 1) throw 'takes exactly one value';
      for (const v of values) {
        if (typeof v !== 'string') throw `must be a string, got ${typeof v}`;
        if (p.strict && !p.choices.includes(v)) throw `must be one of ${p.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(v)}`;
      }
      return p.multiple ? values : values[0];
    }
  }
}

/** Buildbot's forceschedulers API field shape, for the REST layer and the UI. */
export function paramToApi(p: ForceParam, fullName = p.name): Record<string, unknown> {
  return {
    name: p.name, fullName, label: p.label, type: p.type === 'string' ? 'text' : p.type === 'text' ? 'textarea' : p.type === 'boolean' ? 'bool' : p.type,
    default: p.default, required: p.required, hide: p.hide, multiple: p.type === 'choice' ? p.multiple : false,
    regex: 'regex' in p && p.regex ? p.regex.source : null, choices: p.type === 'choice' ? p.choices : undefined,
    tablabel: p.label, autopopulate: null,
  };
}
