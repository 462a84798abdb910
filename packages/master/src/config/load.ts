/**
 * Stage 1 of config loading: find the config file in a master directory and read it into a user
 * config object, then hand it to normalisation (stage 2, normalise.ts).
 *
 * TypeScript configs, and every reload of any config, are imported through tsx's `tsImport`, which
 * loads the file and everything it imports in a fresh module namespace on every call: a reconfig
 * sees edits in the config file and in the helper modules it imports. The first load of a
 * JavaScript config is a native import (no tsx in memory for a master that is never reconfigured). YAML configs are parsed, checked against the
 * JSON Schema, and converted (yaml-form.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_FILE_NAMES } from './defaults.js';
import { ConfigError, IssueCollector, type ConfigIssue } from '../model/config-errors.js';
import { ErrorCodes, hasErrorCode } from '../errors/catalog.js';
import { isPlainObject } from '../model/config-checks.js';
import { checkConfig } from './normalise.js';
import { registerConfigDir } from './module-hook.js';
import { locateSyntaxError } from './syntax-check.js';
import { yamlToUserConfig, type StepNamespace } from './yaml-form.js';
import type { MasterConfig } from './types.js';

/** `warnings` (optional): worth printing even for a valid config, e.g. change hooks open to the network. */
export interface LoadResult { config: MasterConfig | null; issues: ConfigIssue[]; file: string | null; warnings?: ConfigIssue[] }

/** The config file of a master directory, or null when there is none. */
export function findConfigFile(dir: string): string | null {
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Loads and validates without throwing (for checkconfig and reconfig, which report issues).
 * `configFile`: load that file (of any name) instead of the directory's master.config.*.
 */
export async function tryLoadConfig(dir: string, configFile?: string): Promise<LoadResult> {
  const masterDir = resolve(dir);
  if (!existsSync(masterDir)) return { config: null, file: null, issues: [{ path: '', message: `master directory ${masterDir} does not exist; create one with 'mastro create-master ${dir}'` }] };
  const file = configFile ? resolve(configFile) : findConfigFile(masterDir);
  if (!file) {
    return { config: null, file: null, issues: [{ path: '', message: `no config file in ${masterDir}; expected one of ${CONFIG_FILE_NAMES.join(', ')} (mastro create-master writes a sample)` }] };
  }
  let raw: unknown;
  let early: ConfigIssue[] = [];
  let located: ((issues: ConfigIssue[]) => ConfigIssue[]) | null = null;
  if (/\.ya?ml$/.test(file)) {
    const read = await readYaml(file);
    if (read.fatal) return { config: null, file, issues: read.issues };
    raw = read.config;
    early = read.issues;
    located = read.withLines;
  } else {
    try {
      raw = await loadConfigModule(file, masterDir);
    } catch (err) {
      // By code, not class: a config's own `import { ConfigError } from 'mastro'` is another copy of the class.
      if (hasErrorCode(err, ErrorCodes.CONFIG_INVALID) && Array.isArray((err as ConfigError).issues)) return { config: null, file, issues: [...(err as ConfigError).issues] };
      return { config: null, file, issues: [{ path: '', message: describeLoadError(err, file, masterDir) }] };
    }
  }
  const { config, issues, warnings } = checkConfig(raw, { masterDir, configFile: file });
  if (located) {
    // Every mistake in one run: the schema's, then what normalisation found besides (cross-references).
    const all = located([...early, ...issues.filter((i) => !early.some((e) => sameMistake(e.path, i.path)))])
      .sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
    return { config: all.length ? null : config, issues: all, file, warnings: warnings && located(warnings) };
  }
  return { config, issues, file, warnings };
}

/**
 * Whether a YAML-stage issue at `early` and a normalisation issue at `later` are about the same
 * thing: the same item, or one inside the other. YAML paths name the helper (`schedulers[1].force`,
 * `builders[0].steps[2].shell`) where normalisation's do not (`schedulers[1]`).
 */
function sameMistake(early: string, later: string): boolean {
  const a = early.replace(/^((?:changeSources|schedulers|secrets)\[\d+\]|builders\[\d+\]\.steps\[\d+\])\.[^.[\]]+/, '$1');
  const inside = (x: string, y: string) => x === y || y.startsWith(`${x}.`) || y.startsWith(`${x}[`);
  return a !== '' && later !== '' && (inside(a, later) || inside(later, a));
}

/** Loads the config of a master directory; throws a ConfigError listing every mistake. */
export async function loadConfig(dir: string): Promise<MasterConfig> {
  const r = await tryLoadConfig(dir);
  if (!r.config) throw new ConfigError(r.issues, r.file ?? undefined);
  return r.config;
}

/** Config files this process has imported once already: loading them again must not hit Node's module cache. */
const importedOnce = new Set<string>();

/**
 * A plain-JavaScript config is imported natively the first time (tsx's loader costs ~10 MiB of
 * memory for the master's lifetime); TypeScript configs, a JavaScript config that imports
 * TypeScript helpers, and every later load (a reconfig must see edits, helpers included) go through
 * tsx's fresh-namespace import, loaded only then.
 */
async function importConfigModule(file: string, masterDir: string): Promise<Record<string, any>> {
  registerConfigDir(masterDir);
  const url = pathToFileURL(file).href;
  const first = !importedOnce.has(file);
  importedOnce.add(file);
  if (first && /\.m?js$/.test(file)) {
    try {
      return await import(url);
    } catch (err) {
      if (!/^ERR_UNKNOWN_(FILE_EXTENSION|MODULE_FORMAT)$/.test((err as { code?: string })?.code ?? '')) throw err;
    }
  }
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, { parentURL: import.meta.url, tsconfig: false });
}

async function loadConfigModule(file: string, masterDir: string): Promise<unknown> {
  const mod = await importConfigModule(file, masterDir);
  if (mod.default === undefined) {
    throw new ConfigError([{ path: '', message: 'the config file has no default export; write `export default defineConfig({...})`' }]);
  }
  // A config may also export a function (sync or async) that returns the config.
  return typeof mod.default === 'function' ? await mod.default() : mod.default;
}

/**
 * What went wrong while the config file ran, in the user's terms: syntax errors as FILE:LINE:COL,
 * a missing import with what to check, and for anything the config threw the line of the config
 * (or of its helper modules) it came from. mastro's own frames and Node internals are left out.
 */
function describeLoadError(err: unknown, file: string, masterDir: string): string {
  const e = err as Error & { code?: string };
  const message = e?.message ?? String(err);
  if (/\.m?js$/.test(file) && (err instanceof SyntaxError || /^Parse error /.test(message))) {
    const located = locateSyntaxError(file);
    if (located) return located;
  }
  // esbuild (through tsx): "Transform failed with 1 error:\n/dir/master.config.ts:2:56: ERROR: Expected ...".
  const syntax = [...message.matchAll(/^(.+?:\d+:\d+): ERROR: (.*)$/gm)];
  if (/^Transform failed/.test(message) && syntax.length) return syntax.map((m) => `${m[1]}: syntax error: ${m[2]}`).join('\n');
  if (e?.code === 'ERR_MODULE_NOT_FOUND') {
    return `the config file failed to load: ${message}; check the import (a relative import names the file, e.g. './helpers.js' for helpers.ts) or install the package where the config can find it`;
  }
  const where = typeof e?.stack === 'string'
    ? e.stack.split('\n').map((l) => l.trim()).find((l) => l.startsWith('at ') && l.includes(masterDir) && !l.includes('node_modules'))
    : undefined;
  return `the config file failed to load: ${message}${where ? ` (${where})` : ''}`;
}

let stepsNamespace: Promise<StepNamespace> | undefined;

/**
 * The steps helpers, imported only for a YAML config that has steps (a config without builders
 * loads without them). A failed import is not cached: the next load tries again.
 */
function loadSteps(): Promise<StepNamespace> {
  stepsNamespace ??= import('../steps/index.js').then((m) => m.steps as unknown as StepNamespace);
  stepsNamespace.catch(() => { stepsNamespace = undefined; });
  return stepsNamespace;
}

function hasSteps(doc: unknown): boolean {
  return isPlainObject(doc) && Array.isArray(doc.builders) && doc.builders.some((b) => isPlainObject(b) && Array.isArray(b.steps) && b.steps.length > 0);
}

/**
 * `fatal`: the document could not be parsed, or the step types could not be loaded. Schema mistakes
 * are not fatal: the document is still converted and normalised, so cross-reference mistakes are
 * reported in the same run. `withLines` adds the YAML line to issues found later (normalisation's).
 */
async function readYaml(file: string): Promise<{ config: unknown; issues: ConfigIssue[]; fatal: boolean; withLines: (issues: ConfigIssue[]) => ConfigIssue[] }> {
  const text = await readFile(file, 'utf8');
  // The YAML parser and the schema validator (ajv) are loaded only for YAML configs: ~10 MiB each.
  const [{ parseDocument, LineCounter }, { validateAgainstSchema }, lines] = await Promise.all([import('yaml'), import('./schema.js'), import('./yaml-lines.js')]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  const withLines = (issues: ConfigIssue[]) => lines.withLines(issues, doc, lineCounter);
  if (doc.errors.length) {
    return {
      config: null, fatal: true, withLines,
      issues: doc.errors.map((e) => ({ path: '', message: `YAML syntax error: ${e.message}`, ...(e.linePos ? { line: e.linePos[0].line } : {}) })),
    };
  }
  const data = doc.toJS();
  const schemaIssues = validateAgainstSchema(data);
  let steps: StepNamespace = {};
  if (hasSteps(data)) {
    try { steps = await loadSteps(); } catch (err) {
      // Not the config's mistake, and every step would fail the same way: one issue, the cause kept.
      return { config: null, fatal: true, withLines, issues: [{ path: '', message: `the step types could not be loaded (${(err as Error)?.message ?? String(err)}); the mastro installation is broken: reinstall it (npm install mastro) (${ErrorCodes.STEPS_UNAVAILABLE})` }] };
    }
  }
  const c = new IssueCollector();
  const config = yamlToUserConfig(isPlainObject(data) ? data : {}, steps, c);
  // A conversion issue at a path the schema already reported is the same mistake.
  const issues = [...schemaIssues, ...c.issues.filter((i) => !schemaIssues.some((s) => s.path === i.path))];
  return { config, issues, fatal: false, withLines };
}
