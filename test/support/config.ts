/**
 * Typed test configs. A test writes its master's `master.config.ts` as a function of the real config
 * API, so TypeScript checks the config where the test is written (an option renamed in
 * packages/master/src/config is a type error in the test, not a master that refuses to start):
 *
 *   env.writeConfig({ repo, dbUrl }, (m, v) => m.defineConfig({
 *     db: { url: v.dbUrl },
 *     workers: [m.worker('w0', 'pass')],
 *     builders: [m.builder({ name: 'test', workerNames: ['w0'], steps: [m.steps.git({ repourl: v.repo })] })],
 *   }));
 *
 * The master loads configs in its own process, so the function travels as its source text: it may
 * use only its two parameters (`m`, the `mastro` module; `v`, the JSON `values`), globals and the
 * `helpers` passed with it, never variables of the test around it. Put what the config needs from
 * the test into `values`. A helper is a function shared by several configs (`checkoutBuilder(m, ...)`
 * in change-e2e.ts); it travels as text too, under its name, so it follows the same rule.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Mastro from '../../packages/master/src/index.js';

/** The `mastro` module a config imports. */
export type MastroApi = typeof Mastro;

/** What a config takes from its test: an object of JSON values (strings, numbers, lists, plain objects). */
export type ConfigValues = object;

/** A config written as a function of the config API and JSON values. */
export type ConfigFunction<V extends ConfigValues> = (m: MastroApi, v: V) => Mastro.DefinedConfig;

/** Functions the config calls by name besides the API (their text is written into the config). */
export type ConfigHelpers = Record<string, (m: MastroApi, ...args: any[]) => unknown>;

/** The text of a function that can be called from another module: an arrow or function expression. */
function functionText(fn: Function, what: string): string {
  const text = fn.toString();
  // A method or a bound function has no text that can be called like this.
  if (!/^(async\s*)?(\(|\w+\s*=>|function\b)/.test(text)) throw new Error(`${what} must be an arrow function or a function, got: ${text.slice(0, 60)}`);
  return text;
}

/** The text of a `master.config.ts` that builds its config by calling `build(mastro, values)`. */
export function configSource<V extends ConfigValues>(values: V, build: ConfigFunction<V>, helpers: ConfigHelpers = {}): string {
  return [
    '// Written by test/support/config.ts from a typed config function of a test.',
    "import * as mastro from 'mastro';",
    // tsx compiles the test with esbuild's keepNames, which wraps named inner functions in __name(fn, 'name');
    // a name from the test's scope fails here at load time, as a ReferenceError in the master's config error.
    'const __name = <T>(fn: T, _name?: string): T => fn;',
    ...Object.entries(helpers).map(([name, fn]) => `const ${name} = (${functionText(fn, `helper ${name}`)});`),
    `const values = ${JSON.stringify(values, null, 2)};`,
    `export default (${functionText(build, 'the config')})(mastro, values);`,
    '',
  ].join('\n');
}

/** Writes `master.config.ts` of `masterDir` from a typed config function; returns the text written. */
export function writeConfig<V extends ConfigValues>(masterDir: string, values: V, build: ConfigFunction<V>, helpers: ConfigHelpers = {}): string {
  const source = configSource(values, build, helpers);
  writeFileSync(join(masterDir, 'master.config.ts'), source);
  return source;
}
