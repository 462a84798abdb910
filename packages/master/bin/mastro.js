#!/usr/bin/env node
// The `mastro` command. npm links a package's bin only if its target exists when `npm install` runs, and
// in a checkout dist/ is built after the install: so the bin is this committed file, which runs the built CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('mastro: this checkout is not built yet (no dist/cli.js). Run `npm run build` at the top of the checkout, then try again.');
  process.exit(1);
}
await import(cli.href);
