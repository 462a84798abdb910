/**
 * Lets a config anywhere on disk `import ... from 'mastro'` without a node_modules of its own, and
 * treats the config directory's .ts/.js files as ES modules even without a package.json.
 *
 * A Node module-resolution hook (module.register, run in the loader thread) maps the bare specifier
 * `mastro` (and `mastro/...` subpaths of the public entry) to this package's entry file, and marks
 * files under a registered master directory as ESM ('module-typescript' for .ts so tsx transpiles
 * them). The hook is a data: URL so it needs no file of its own in src/ or dist/.
 */
import { register } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve, sep } from 'node:path';

const registeredRoots = new Set<string>();

/** The file `import 'mastro'` should load: dist/index.js when compiled, src/index.ts under tsx. */
export function packageEntryUrl(): string {
  const here = fileURLToPath(import.meta.url);
  const js = resolve(here, '..', '..', 'index.js');
  const ts = resolve(here, '..', '..', 'index.ts');
  return pathToFileURL(existsSync(js) ? js : ts).href;
}

function hookSource(rootUrl: string, entryUrl: string): string {
  const entryFormat = entryUrl.endsWith('.ts') ? 'module-typescript' : 'module';
  return `
const ROOT = ${JSON.stringify(rootUrl)};
const ENTRY = ${JSON.stringify(entryUrl)};
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'mastro' && context.parentURL && context.parentURL.startsWith(ROOT)) {
    return { url: ENTRY, format: ${JSON.stringify(entryFormat)}, shortCircuit: true };
  }
  const r = await nextResolve(specifier, context);
  if (r.url.startsWith(ROOT) && !r.url.includes('/node_modules/')) {
    const p = new URL(r.url).pathname;
    if (/\\.(ts|mts|tsx)$/.test(p)) return { ...r, format: 'module-typescript' };
    if (/\\.(js|mjs)$/.test(p)) return { ...r, format: 'module' };
  }
  return r;
}`;
}

/** Installs the hook for one master directory (once per directory per process). */
export function registerConfigDir(dir: string): void {
  const root = resolve(dir);
  if (registeredRoots.has(root)) return;
  registeredRoots.add(root);
  const rootUrl = pathToFileURL(root + sep).href;
  register('data:text/javascript,' + encodeURIComponent(hookSource(rootUrl, packageEntryUrl())));
}
