#!/usr/bin/env node
/**
 * The `mastro` command: a small dispatcher; each command lives in its own module under cli/ and is
 * loaded only when used (checkconfig does not load the HTTP server, and so on). Help texts live in
 * cli/help.ts; exit status: 0 done, 1 failed or not found, 2 wrong usage (EXIT_STATUS there).
 */
import { readFileSync } from 'node:fs';
import { closest } from './model/config-checks.js';
import { commandHelp, HELP, overview } from './cli/help.js';
import { CliError, UsageError, println, type Io } from './cli/io.js';

type Run = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Run>> = {
  'create-master': async () => (await import('./cli/create-master.js')).run,
  checkconfig: async () => (await import('./cli/checkconfig.js')).run,
  start: async () => (await import('./cli/start.js')).run,
  stop: async () => (await import('./cli/stop.js')).run,
  restart: async () => (await import('./cli/restart.js')).run,
  reconfig: async () => (await import('./cli/reconfig.js')).run,
  quickstart: async () => (await import('./cli/quickstart.js')).run,
  user: async () => (await import('./cli/user.js')).runUserCommand,
  sendchange: async () => (await import('./cli/sendchange.js')).run,
  try: async () => (await import('./cli/try.js')).run,
  tryserver: async () => (await import('./cli/tryserver.js')).run,
};

/** Commands that print a fuller help of their own for `--help` (sendchange lists Buildbot's options). */
const OWN_HELP = new Set(['sendchange']);

function version(): string {
  // dist/cli.js and src/cli.ts both sit one level below the package root.
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: Io = process): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { println(name ? io.stdout : io.stderr, overview()); return name ? 0 : 2; }
  if (name === '--version' || name === '-V' || name === 'version') { println(io.stdout, `mastro ${version()}`); return 0; }
  const load = COMMANDS[name];
  if (!load) {
    const close = closest(name, Object.keys(COMMANDS));
    println(io.stderr, `unknown command '${name}'${close ? `; did you mean '${close}'?` : ''}\n\n${overview()}`);
    return 2;
  }
  if ((rest.includes('--help') || rest.includes('-h')) && !OWN_HELP.has(name)) { println(io.stdout, commandHelp(name)); return 0; }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) { println(io.stderr, `mastro ${name}: ${err.message}\nusage: ${HELP[name]!.usage}\n(more: mastro ${name} --help)`); return 2; }
    if (err instanceof CliError) { println(io.stderr, `mastro ${name}: ${err.message}`); return err.exitCode; }
    println(io.stderr, `mastro ${name}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
