#!/usr/bin/env node
// The master's layer rule, checked over the import graph (packages/master/ARCHITECTURE.md explains it).
// A module may import from its own folder and from folders on LOWER layers only; two folders on the same
// layer may not import each other, so the folders can never form a cycle. A new top-level folder under
// packages/master/src must be given a layer here (the check fails until it is), which is the point: where
// a new concern sits is decided once, in review, not discovered later in the import graph.
//
// Usage: node scripts/check-layers.mjs           (exit 1 and one line per violation when the rule is broken)
//        import { checkLayers } from './check-layers.mjs'   (the architecture test)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers of packages/master/src from the bottom up; each entry lists the folders (or root files) on it. */
export const MASTER_LAYERS = [
  ['errors'],                // the error catalog: every code a user can meet, its summary and remedy (ERRORS.md)
  ['model', 'util', 'net'],  // shared vocabulary (results, config errors/checks/brands) and helpers that know no
                             // mastro concept (constant-time compare, URL credentials, HTTP connection limits)
  ['options'],               // every config option declared once: type, limits, default, doc (the published schema)
  ['db', 'mq'],              // storage (owning its row types) and the event bus: know nothing above them
  ['data'],                  // resources: one file each with its reads, writes and events over db/ and mq/
  ['workers'],               // connected workers, remote commands, latent providers
  ['process'],               // botmaster, request distributor, builds, locks, properties, MasterControl
  ['steps'],                 // build steps on the process/ runtime
  ['changes', 'schedulers', 'reporters'], // config-driven families fed by and feeding data/
  ['www'],                   // REST, WebSocket, hooks, auth, UI: reaches state through data/ and mq/ only
  ['config'],                // the user's config API: factories, loading, normalising, checks
  ['master'],                // the composition root's parts: services, components, worker control
  ['master.ts'],             // Master and startMaster(): wires every layer together for one running master
  ['index.ts'],              // the package's public surface
  ['cli'],                   // the `mastro` command, one file per subcommand
  ['cli.ts'],                // its dispatcher
];

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const srcRoot = join(repoRoot, 'packages/master/src');

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Relative module specifiers of a source file: static imports/exports, `import('…')`, `import '…'`. */
export function relativeImports(text) {
  const found = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (let m; (m = re.exec(text)); ) found.push(m[1]);
  return found;
}

/** The top-level folder (or root file) of `root` that `file` belongs to. */
function unitOf(root, file) {
  const first = relative(root, file).split(sep)[0];
  return first.replace(/\.js$/, '.ts'); // specifiers name the compiled .js of a .ts module
}

export function checkLayers({ root = srcRoot, layers = MASTER_LAYERS } = {}) {
  const rank = new Map();
  layers.forEach((units, i) => { for (const u of units) rank.set(u, i); });
  const violations = [];
  const unplaced = new Set();
  for (const file of walk(root)) {
    const from = unitOf(root, file);
    if (!rank.has(from)) { unplaced.add(from); continue; }
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(root + sep)) continue; // another package: the package graph rules it
      const to = unitOf(root, target);
      if (to === from) continue;
      if (!rank.has(to)) { unplaced.add(to); continue; }
      if (rank.get(to) >= rank.get(from)) {
        const how = rank.get(to) === rank.get(from) ? 'on the same layer as' : 'on a higher layer than';
        violations.push(`${relative(repoRoot, file)} imports ${spec}: ${to} is ${how} ${from}`);
      }
    }
  }
  for (const u of unplaced) violations.push(`${relative(repoRoot, join(root, u))} has no layer: add it to MASTER_LAYERS in scripts/check-layers.mjs and to ARCHITECTURE.md`);
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const v = checkLayers();
  if (v.length) {
    console.error(`layer rule broken (${v.length}):\n  ${v.join('\n  ')}`);
    process.exit(1);
  }
  console.log('layer rule holds: every import in packages/master/src points to its own folder or a lower layer');
}
