#!/usr/bin/env node
// Builds the web UI into packages/master/dist/ui: the browser modules compiled by tsc (native ES
// modules, no bundler) into dist/ui/app/, plus index.html and style.css copied as they are.
// Run by the root `npm run build`; the master serves the result at `/` (src/www/ui-static.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'ui');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(out, { recursive: true, force: true }); // no stale modules from renamed sources
mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
for (const f of ['index.html', 'style.css', 'favicon.svg']) copyFileSync(join(here, f), join(out, f));
console.log(`web UI built into ${out}`);
