#!/usr/bin/env node
// npm's prepare step of the checkout (run by `npm install` / `npm ci` at the top): builds every
// package, so `npx mastro ...` works right after the install. An install without the development
// dependencies (`npm ci --omit=dev`) has no compiler: it is told so, and the install still succeeds.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(new URL('../node_modules/typescript/package.json', import.meta.url))) {
  console.error('mastro: not building the checkout (no TypeScript compiler: the development dependencies were left out); run `npm install` and `npm run build` to build it');
  process.exit(0);
}
// The npm running this step (npm_execpath), under this node; `npm` from PATH when run by hand.
const npm = process.env.npm_execpath;
const r = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
