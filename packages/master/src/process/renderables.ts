/**
 * Renderables: values a config writes once and the build computes per build from its properties,
 * with the semantics of Buildbot's `buildbot/process/properties.py`:
 *   Interpolate('%(prop:branch:-main)s')   default when the property is missing
 *   '%(prop:x:~fallback)s'                 default when missing or false-y ('', 0, false, null, [], {})
 *   '%(prop:x:+present)s'                  'present' when set, '' otherwise
 *   '%(prop:x:?|yes|no)s'                  'yes' when set, 'no' otherwise ('#?' tests truthiness)
 *   '%(src:codebase:revision)s'            an attribute of the build's SourceStamp for that codebase
 *   '%(secret:name)s' '%(kw:name)s' '%(worker:os)s'   and '%%' for a literal percent sign.
 * Replacement texts may themselves contain substitutions (`%(prop:a:-%(prop:b)s)s`).
 */
import { RENDERABLE, isRenderable, type RenderContext, type Renderable } from './step-types.js';
import { ErrorCodes } from '../errors/catalog.js';

export class InterpolateError extends Error {
  readonly code = ErrorCodes.INTERPOLATE;
  constructor(readonly fmtstring: string, detail: string) {
    super(`Interpolate(${JSON.stringify(fmtstring)}): ${detail}`);
    this.name = 'InterpolateError';
  }
}

const IDENTIFIER = /^[\w.-]*$/;

/** Python's truthiness, which decides `:~` and `#?`. */
function pyFalsy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** How `%s` shows a value (booleans as Python writes them, since configs come from Buildbot). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}

type Part = string | Substitution;

interface Substitution {
  selector: 'prop' | 'src' | 'secret' | 'kw' | 'worker';
  codebase?: string;
  key: string;
  mode: '-' | '~' | '+' | '?' | '#?';
  whenSet?: Part[];
  whenMissing: Part[];
}

/** Splits `a|b` at the first top-level delimiter (parentheses balanced). */
function splitBalanced(fmt: string, text: string, delim: string): [string, string] {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') { depth--; if (depth < 0) break; }
    else if (depth === 0 && c === delim) return [text.slice(0, i), text.slice(i + 1)];
  }
  throw new InterpolateError(fmt, `invalid ternary expression '${text}' with delimiter '${delim}'`);
}

function parseSubstitution(fmt: string, body: string): Substitution {
  const colon = body.indexOf(':');
  if (colon < 0) throw new InterpolateError(fmt, `substitution '${body}' has no selector (write e.g. 'prop:${body}')`);
  const selector = body.slice(0, colon);
  let rest = body.slice(colon + 1);
  let codebase: string | undefined;
  if (selector === 'src') {
    const c = rest.indexOf(':');
    if (c < 0) throw new InterpolateError(fmt, `'src:${rest}' needs both codebase and attribute ('src:codebase:revision')`);
    codebase = rest.slice(0, c);
    rest = rest.slice(c + 1);
    if (!IDENTIFIER.test(codebase)) throw new InterpolateError(fmt, `codebase '${codebase}' must be alphanumeric`);
  } else if (!['prop', 'secret', 'kw', 'worker'].includes(selector)) {
    throw new InterpolateError(fmt, `unknown selector '${selector}' (use prop, src, secret, kw or worker)`);
  }
  const c2 = rest.indexOf(':');
  const key = c2 < 0 ? rest : rest.slice(0, c2);
  const repl = c2 < 0 ? '-' : rest.slice(c2 + 1);
  if (selector !== 'secret' && selector !== 'worker' && !IDENTIFIER.test(key)) {
    throw new InterpolateError(fmt, `name '${key}' must be alphanumeric`);
  }
  const sub = { selector: selector as Substitution['selector'], codebase, key };
  if (repl.startsWith('#?') || repl.startsWith('?')) {
    const mode = repl.startsWith('#?') ? '#?' : '?';
    const tail = repl.slice(mode.length);
    const delim = tail[0];
    if (!delim || delim === '(') throw new InterpolateError(fmt, `invalid ternary delimiter '${delim ?? ''}'`);
    const [t, f] = splitBalanced(fmt, tail.slice(1), delim);
    return { ...sub, mode, whenSet: parseFormat(fmt, t), whenMissing: parseFormat(fmt, f) };
  }
  const mode = repl[0];
  if (mode === '-' || mode === '~') return { ...sub, mode, whenMissing: parseFormat(fmt, repl.slice(1)) };
  if (mode === '+') return { ...sub, mode, whenSet: parseFormat(fmt, repl.slice(1)), whenMissing: [] };
  throw new InterpolateError(fmt, `invalid default type '${mode}' (use :-, :~, :+, :? or :#?)`);
}

/** Parses a format string into literal text and substitutions (Python %-format rules for `%(...)s`). */
function parseFormat(fmt: string, text: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '%') { lit += c; continue; }
    const n = text[i + 1];
    if (n === '%') { lit += '%'; i++; continue; }
    if (n !== '(') throw new InterpolateError(fmt, `unsupported format at offset ${i} (only %(selector:name)s and %% are allowed)`);
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) break;
    }
    if (j >= text.length) throw new InterpolateError(fmt, `unbalanced parentheses at offset ${i}`);
    const conv = text[j + 1];
    if (conv !== 's' && conv !== 'd' && conv !== 'r') throw new InterpolateError(fmt, `missing conversion after '%(${text.slice(i + 2, j)})' (add 's')`);
    if (lit) { parts.push(lit); lit = ''; }
    parts.push(parseSubstitution(fmt, text.slice(i + 2, j)));
    i = j + 1;
  }
  if (lit) parts.push(lit);
  return parts;
}

class InterpolateImpl implements Renderable<string> {
  readonly [RENDERABLE] = true as const;
  private readonly parts: Part[];

  constructor(readonly fmtstring: string, readonly kwargs: Record<string, unknown> = {}) {
    if (typeof fmtstring !== 'string') throw new TypeError('Interpolate needs a format string');
    this.parts = parseFormat(fmtstring, fmtstring);
  }

  async getRenderingFor(ctx: RenderContext): Promise<string> {
    return this.renderParts(this.parts, ctx);
  }

  private async renderParts(parts: Part[], ctx: RenderContext): Promise<string> {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : await this.renderSub(p, ctx);
    return out;
  }

  private async lookup(sub: Substitution, ctx: RenderContext): Promise<{ present: boolean; value?: unknown }> {
    switch (sub.selector) {
      case 'prop':
        return ctx.properties.hasProperty(sub.key) ? { present: true, value: ctx.properties.getProperty(sub.key) } : { present: false };
      case 'src': {
        const ss = ctx.sourcestamps.find((s) => s.codebase === sub.codebase) as Record<string, unknown> | undefined;
        return ss && sub.key in ss ? { present: true, value: ss[sub.key] } : { present: false };
      }
      case 'kw':
        return sub.key in this.kwargs ? { present: true, value: await renderValue(this.kwargs[sub.key], ctx) } : { present: false };
      case 'worker':
        return sub.key in ctx.workerInfo ? { present: true, value: ctx.workerInfo[sub.key] } : { present: false };
      case 'secret': {
        const value = await ctx.getSecret(sub.key);
        // Like Buildbot: a missing secret is an error, not an empty string that would run a command without credentials.
        if (value === undefined) throw new InterpolateError(this.fmtstring, `secret '${sub.key}' is not found in any provider`);
        return { present: true, value };
      }
    }
  }

  private async renderSub(sub: Substitution, ctx: RenderContext): Promise<string> {
    const { present, value } = await this.lookup(sub, ctx);
    switch (sub.mode) {
      case '-': return present ? formatValue(value) : this.renderParts(sub.whenMissing, ctx);
      case '~': return present && !pyFalsy(value) ? formatValue(value) : this.renderParts(sub.whenMissing, ctx);
      case '+': return present ? this.renderParts(sub.whenSet!, ctx) : '';
      case '?': return this.renderParts(present ? sub.whenSet! : sub.whenMissing, ctx);
      case '#?': return this.renderParts(present && !pyFalsy(value) ? sub.whenSet! : sub.whenMissing, ctx);
    }
  }

  toString(): string { return `Interpolate(${JSON.stringify(this.fmtstring)})`; }
}

class PropertyImpl implements Renderable {
  readonly [RENDERABLE] = true as const;
  constructor(readonly key: string, readonly defaultValue: unknown = undefined, readonly defaultWhenFalse = true) {}
  async getRenderingFor(ctx: RenderContext): Promise<unknown> {
    const has = ctx.properties.hasProperty(this.key);
    const v = has ? await renderValue(ctx.properties.getProperty(this.key), ctx) : undefined;
    if (!has || (this.defaultWhenFalse && pyFalsy(v))) return renderValue(this.defaultValue, ctx);
    return v;
  }
  toString(): string { return `Property(${this.key})`; }
}

class SecretImpl implements Renderable<string> {
  readonly [RENDERABLE] = true as const;
  constructor(readonly secretName: string) {}
  async getRenderingFor(ctx: RenderContext): Promise<string> {
    const v = await ctx.getSecret(this.secretName);
    if (v === undefined) throw new Error(`secret '${this.secretName}' is not found in any provider`);
    return v;
  }
  toString(): string { return `Secret(${this.secretName})`; }
}

/** What a `renderer(fn)` function receives. */
export interface RendererArgs {
  getProperty<T = unknown>(name: string, defaultValue?: T): T | undefined;
  properties: Record<string, unknown>;
  sourcestamps: RenderContext['sourcestamps'];
  workerInfo: RenderContext['workerInfo'];
  getSecret(name: string): Promise<string | undefined>;
}

/** A renderable computed by a function of the render context. */
class FnRenderable<T> implements Renderable<T> {
  readonly [RENDERABLE] = true as const;
  constructor(private readonly fn: (ctx: RenderContext) => T | Promise<T>) {}
  async getRenderingFor(ctx: RenderContext): Promise<T> {
    return renderValue(await this.fn(ctx), ctx) as Promise<T>;
  }
}

function rendererArgs(ctx: RenderContext): RendererArgs {
  const values: Record<string, unknown> = {};
  for (const [k, [v]] of Object.entries(ctx.properties.asDict())) values[k] = v;
  return {
    getProperty: (n, d) => ctx.properties.getProperty(n, d),
    properties: values,
    sourcestamps: ctx.sourcestamps,
    workerInfo: ctx.workerInfo,
    getSecret: (n) => ctx.getSecret(n),
  };
}

/** Renders a value deeply: renderables anywhere inside arrays and plain objects are replaced. */
export async function renderValue(value: unknown, ctx: RenderContext): Promise<any> {
  if (isRenderable(value)) return renderValue(await value.getRenderingFor(ctx), ctx);
  if (Array.isArray(value)) return Promise.all(value.map((v) => renderValue(v, ctx)));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await renderValue(v, ctx);
    return out;
  }
  return value;
}

// Factory functions (callable with or without `new`, as Buildbot configs write `util.Interpolate(...)`).
export function Interpolate(fmtstring: string, kwargs?: Record<string, unknown>): Renderable<string> {
  return new InterpolateImpl(fmtstring, kwargs);
}
export function Property(key: string, defaultValue?: unknown, defaultWhenFalse = true): Renderable {
  return new PropertyImpl(key, defaultValue, defaultWhenFalse);
}
export function Secret(name: string): Renderable<string> {
  return new SecretImpl(name);
}
export function renderer<T>(fn: (args: RendererArgs) => T | Promise<T>): Renderable<T> {
  return new FnRenderable((ctx) => fn(rendererArgs(ctx)));
}
/** Applies `fn` to rendered arguments: `Transform(path.basename, Property('file'))`. */
export function Transform<T>(fn: (...args: any[]) => T | Promise<T>, ...args: unknown[]): Renderable<T> {
  return new FnRenderable(async (ctx) => fn(...(await renderValue(args, ctx))));
}

/** The `util` namespace for configs, as in Buildbot (`util.Interpolate`, `util.Property`, ...). */
export const util = { Interpolate, Property, Secret, renderer, Transform } as const;
