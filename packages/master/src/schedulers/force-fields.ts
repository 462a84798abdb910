/**
 * Turns a force scheduler's options into its full list of typed fields: reason, username, one
 * branch/revision/repository/project group per codebase, and the extra parameters. Throws an Error
 * naming the option when the options are malformed (normalise reports it with the path).
 */
import { params, type ForceParam } from './force-params.js';
import type { ForceCodebaseOptions, ForceOptions } from './specs.js';

export interface ForceCodebaseFields {
  codebase: string;
  branch: ForceParam; revision: ForceParam; repository: ForceParam; project: ForceParam;
}

export interface ForceFields {
  reason: ForceParam;
  username: ForceParam;
  codebases: ForceCodebaseFields[];
  parameters: ForceParam[];
}

const PARAM_TYPES = new Set(['string', 'text', 'int', 'boolean', 'choice', 'fixed']);

function isParam(x: unknown): x is ForceParam {
  return typeof x === 'object' && x !== null && PARAM_TYPES.has((x as any).type) && typeof (x as any).name === 'string';
}

function field(value: unknown, name: string, label: string, where: string): ForceParam {
  if (value === undefined) return params.string({ name, label });
  if (typeof value === 'string') return params.string({ name, label, default: value });
  if (isParam(value)) return { ...value, name } as ForceParam;
  throw new Error(`${where} must be a string default or a parameter (schedulers.params.string({...})), got ${typeof value}`);
}

export function resolveForceFields(o: ForceOptions): ForceFields {
  const codebases = (o.codebases ?? ['']).map((cb, i): ForceCodebaseFields => {
    const c: ForceCodebaseOptions = typeof cb === 'string' ? { name: cb } : cb;
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string') throw new Error(`codebases[${i}] must be a codebase name or {name, branch?, revision?, repository?, project?}`);
    const w = `codebases[${i}]`;
    return {
      codebase: c.name,
      branch: field(c.branch, 'branch', 'Branch', `${w}.branch`),
      revision: field(c.revision, 'revision', 'Revision', `${w}.revision`),
      repository: field(c.repository, 'repository', 'Repository', `${w}.repository`),
      project: field(c.project, 'project', 'Project', `${w}.project`),
    };
  });
  const seen = new Set<string>();
  for (const cb of codebases) {
    if (seen.has(cb.codebase)) throw new Error(`codebase ${JSON.stringify(cb.codebase)} is listed twice in codebases`);
    seen.add(cb.codebase);
  }
  const parameters = (o.parameters ?? []).map((p, i) => {
    if (!isParam(p)) throw new Error(`parameters[${i}] must be a parameter made with schedulers.params.string/int/boolean/choice/text/fixed`);
    return p;
  });
  const names = new Set<string>(['reason', 'username']);
  for (const p of parameters) {
    if (names.has(p.name)) throw new Error(`parameter name ${JSON.stringify(p.name)} is used twice (reason and username are taken)`);
    names.add(p.name);
  }
  return {
    reason: field(o.reason ?? 'force build', 'reason', 'Reason', 'reason'),
    username: field(o.username, 'username', 'Your name', 'username'),
    codebases,
    parameters,
  };
}
