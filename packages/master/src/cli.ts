#!/usr/bin/env node
/**
 * The `mastro` command: a small dispatcher; each command lives in its own module under cli/ and is
 * loaded only when used (checkconfig does not load the HTTP server, and so on).
 */
import { CliError, UsageError, println, type Io } from './cli/io.js';

type Command = { usage: string; summary: string; load: () => Promise<(argv: string[], io: Io) => Promise<number>> };

const COMMANDS: Record<string, Command> = {
  'create-master': { usage: 'mastro create-master DIR [--db URL] [--title TITLE]', summary: 'create a master directory with a sample config', load: async () => (await import('./cli/create-master.js')).run },
  checkconfig: { usage: 'mastro checkconfig DIR', summary: 'check a config and print every mistake with its path', load: async () => (await import('./cli/checkconfig.js')).run },
  start: { usage: 'mastro start DIR [--foreground] [--timeout S]', summary: 'start a master (in the background unless --foreground)', load: async () => (await import('./cli/start.js')).run },
  stop: { usage: 'mastro stop DIR [--timeout S]', summary: 'stop a master gracefully', load: async () => (await import('./cli/stop.js')).run },
  restart: { usage: 'mastro restart DIR [--timeout S]', summary: 'stop, then start a master', load: async () => (await import('./cli/restart.js')).run },
  reconfig: { usage: 'mastro reconfig DIR [--timeout S]', summary: 'apply a changed config to a running master', load: async () => (await import('./cli/reconfig.js')).run },
  quickstart: { usage: 'mastro quickstart [DIR] [--http-port P] [--worker-port P]', summary: 'run a local demo: repository, master, worker, first build', load: async () => (await import('./cli/quickstart.js')).run },
  user: { usage: 'mastro user add|remove|list|token|revoke-token DIR ...', summary: 'manage web UI / API users', load: async () => (await import('./cli/user.js')).runUserCommand },
  sendchange: { usage: 'mastro sendchange --master HOST:PORT --who AUTHOR [options] [FILE ...]', summary: 'send a Change to a master\'s base change hook', load: async () => (await import('./cli/sendchange.js')).run },
  try: { usage: 'mastro try --master URL --builder NAME [--wait] [options] | mastro try --connect=ssh --host HOST --jobdir DIR [options]', summary: 'build the diff of this working tree against its base revision', load: async () => (await import('./cli/try.js')).run },
  tryserver: { usage: 'mastro tryserver --jobdir DIR [--max-job-bytes N]  (job file on stdin)', summary: 'master-host end of try --connect=ssh: queue a job file for a tryJobdir scheduler', load: async () => (await import('./cli/tryserver.js')).run },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return ['usage: mastro COMMAND [ARGS]', '', 'commands:', ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`), '', "run 'mastro COMMAND --help' for a command's usage"].join('\n');
}

export async function main(argv: string[], io: Io = process): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { println(name ? io.stdout : io.stderr, usage()); return name ? 0 : 2; }
  const command = COMMANDS[name];
  if (!command) { println(io.stderr, `unknown command '${name}'\n\n${usage()}`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { println(io.stdout, `usage: ${command.usage}`); return 0; }
  try {
    return await (await command.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) { println(io.stderr, `mastro ${name}: ${err.message}\nusage: ${command.usage}`); return 2; }
    if (err instanceof CliError) { println(io.stderr, `mastro ${name}: ${err.message}`); return err.exitCode; }
    println(io.stderr, `mastro ${name}: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
