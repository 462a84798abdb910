/**
 * What `mastro --help` and `mastro COMMAND --help` print: each command's usage, what it does, its
 * options with their defaults, and the exit status every command keeps to. Text only (no command
 * module is loaded to print help).
 */

export interface CommandHelp {
  readonly usage: string;
  /** One line for the command list of `mastro --help`. */
  readonly summary: string;
  /** What the command does, a few lines. */
  readonly description: readonly string[];
  /** [option, meaning (and default)] */
  readonly options: ReadonlyArray<readonly [string, string]>;
}

/** The exit status scheme of every mastro command (Buildbot's commands exit 1 for both; mastro tells them apart). */
export const EXIT_STATUS = [
  'exit status:',
  '  0  done',
  '  1  failed, or something named does not exist (a directory, a running master, a user, a file)',
  '  2  wrong usage: unknown command or option, missing or extra argument, bad option value',
];

/** The forms of `mastro user` (its own usage errors print them too). */
export const USER_SUBCOMMANDS = [
  'mastro user add DIR NAME [--roles ROLE,...] [--password-stdin]',
  'mastro user remove DIR NAME',
  'mastro user list DIR',
  'mastro user token DIR NAME',
  'mastro user revoke-token DIR NAME TOKEN_ID',
];

const TIMEOUT = (what: string, dflt: number): readonly [string, string] => ['--timeout SECONDS', `how long to wait ${what} (default ${dflt})`];

export const HELP: Readonly<Record<string, CommandHelp>> = {
  'create-master': {
    usage: 'mastro create-master DIR [--db URL] [--title TITLE]',
    summary: 'create a master directory with a sample config',
    description: [
      'Creates DIR with a commented, runnable master.config.ts (embedded SQLite, web UI on port 8010, workers on',
      'port 9989, one worker with a random password) and prints the next steps. Never overwrites a config.',
    ],
    options: [
      ['--db URL', "the database (default sqlite:state.sqlite in DIR; or postgresql://user:password@host/db)"],
      ['--title TITLE', 'the title the web UI shows (default mastro)'],
    ],
  },
  checkconfig: {
    usage: 'mastro checkconfig DIR|FILE',
    summary: 'check a config and print every mistake with its path',
    description: [
      'Loads the config of master directory DIR (master.config.ts, .js or .yaml), or the config FILE, and prints',
      'every mistake with its path in the config (and for YAML its line), or a one-line summary when it is good.',
    ],
    options: [],
  },
  start: {
    usage: 'mastro start DIR [--foreground] [--timeout SECONDS]',
    summary: 'start a master (in the background unless --foreground)',
    description: [
      'Starts the master of DIR in the background (pid in DIR/mastro.pid, log in DIR/mastro.log) and waits until',
      'it listens (then prints its addresses) or fails (then says why; nothing is left running).',
      'mastro.log holds JSON lines, rotated by size (config log.rotateLength, log.maxRotatedFiles: 10 MB, 10 files);',
      'SIGUSR1 reopens it (for logrotate).',
    ],
    options: [
      ['--foreground', 'run in this terminal: Ctrl-C or SIGTERM stops gracefully, SIGHUP applies a changed config; logs on standard output, pretty on a terminal, JSON otherwise (MASTRO_LOG_FORMAT=json|pretty)'],
      TIMEOUT('for the background master to be ready', 120),
    ],
  },
  stop: {
    usage: 'mastro stop DIR [--timeout SECONDS]',
    summary: 'stop a master gracefully',
    description: [
      'Asks the master of DIR to stop: running builds get the config\'s stopGracePeriod to finish, then stop as',
      'RETRY and run again after the next start. A master that is not running is not an error.',
    ],
    options: [TIMEOUT('for the master to exit', 360)],
  },
  restart: {
    usage: 'mastro restart DIR [--timeout SECONDS]',
    summary: 'stop, then start a master',
    description: ['A graceful stop (as mastro stop, if the master runs), then a background start (as mastro start).'],
    options: [TIMEOUT('for the master to stop', 360)],
  },
  reconfig: {
    usage: 'mastro reconfig DIR [--timeout SECONDS]',
    summary: 'apply a changed config to a running master',
    description: [
      'Checks the config of DIR first (a broken config is reported and the master keeps running unchanged), then',
      'tells the master to apply it (SIGHUP) and reports its outcome. Running builds finish on their old config.',
    ],
    options: [TIMEOUT('for the master\'s outcome', 60)],
  },
  quickstart: {
    usage: 'mastro quickstart [DIR] [--http-port PORT] [--worker-port PORT]',
    summary: 'run a local demo: repository, master, worker, first build',
    description: [
      'Creates a sample git repository, a master and a local worker in DIR (default: a new temporary directory),',
      'starts them, forces a first build and prints where to see it and how to log in (user admin with a',
      'one-time password, printed once). Ctrl-C stops everything; the files stay.',
    ],
    options: [
      ['--http-port PORT', 'web UI and API port (default 8010; 0 = any free port)'],
      ['--worker-port PORT', 'worker port (default 9989; 0 = any free port)'],
    ],
  },
  user: {
    usage: 'mastro user add|remove|list|token|revoke-token DIR ...',
    summary: 'manage web UI / API users',
    description: [
      'Local users of the web UI and API, kept in DIR/users.json (scrypt-hashed passwords). A running master',
      'sees changes at once. `add` asks for the password (or reads it from stdin); `token` prints a new API token',
      'once (use it as: Authorization: Bearer <token>).',
      ...USER_SUBCOMMANDS.map((l) => `  ${l}`),
    ],
    options: [
      ['--roles ROLE,...', 'roles of the user, for www.authz rules (admin may do everything by default)'],
      ['--password-stdin', 'read the password from the first line of standard input'],
    ],
  },
  sendchange: {
    usage: 'mastro sendchange --master HOST:PORT --who AUTHOR [options] [FILE ...]',
    summary: 'send a Change to a master\'s base change hook',
    description: ['Buildbot\'s sendchange: posts a Change to /change_hook/base of the master\'s web server.'],
    options: [],
  },
  try: {
    usage: 'mastro try --master URL --builder NAME [--wait] [options] | mastro try --connect=ssh --host HOST --jobdir DIR [options]',
    summary: 'build the diff of this working tree against its base revision',
    description: [
      'Sends `git diff` of the working tree against its base (git merge-base HEAD with --base-ref, the upstream',
      'branch, or HEAD) to a tryUserpass scheduler, or with --connect=ssh to a tryJobdir scheduler.',
    ],
    options: [
      ['--master URL', 'the try scheduler (http://host:port of a tryUserpass scheduler)'],
      ['-u, --username NAME / --password PW', 'its credentials (or env MASTRO_TRY_PASSWORD)'],
      ['-b, --builder NAME', 'a builder to run (repeatable; default: the scheduler\'s)'],
      ['--base-ref REF / --baserev REV', 'what to diff against'],
      ['--branch, --repository, --codebase, --project', 'the sourcestamp of the job'],
      ['--who, -m/--comment, --property NAME=VALUE', 'who asks, why, and build properties (repeatable)'],
      ['-C, --dir DIR', 'the working tree (default: the current directory)'],
      ['--wait', 'follow the builds and exit 0 only when they succeed'],
      ['--timeout SECONDS', 'how long --wait waits (default 3600)'],
      ['--max-patch-bytes N', 'refuse larger patches (default 10485760)'],
      ['-c, --connect http|ssh', 'ssh: run `mastro tryserver` on --host with --jobdir (also --port, --ssh, --buildbotbin)'],
    ],
  },
  tryserver: {
    usage: 'mastro tryserver --jobdir DIR [--max-job-bytes N]  (job file on stdin)',
    summary: 'master-host end of try --connect=ssh: queue a job file for a tryJobdir scheduler',
    description: ['Reads one try job from standard input and delivers it into DIR/new for a tryJobdir scheduler.'],
    options: [
      ['--jobdir DIR', 'the jobdir of the tryJobdir scheduler (required)'],
      ['--max-job-bytes N', 'refuse larger jobs (default 10485760)'],
    ],
  },
};

/** The full help of one command. */
export function commandHelp(name: string): string {
  const h = HELP[name]!;
  const lines = [`usage: ${h.usage}`, '', ...h.description];
  if (h.options.length) {
    const width = Math.max(...h.options.map(([o]) => o.length));
    lines.push('', 'options:', ...h.options.map(([o, text]) => `  ${o.padEnd(width)}  ${text}`));
  }
  lines.push('', ...EXIT_STATUS);
  return lines.join('\n');
}

/** `mastro --help`: every command with its summary. */
export function overview(): string {
  const width = Math.max(...Object.keys(HELP).map((c) => c.length));
  return [
    'usage: mastro COMMAND [ARGS]', '       mastro --version', '',
    'commands:', ...Object.entries(HELP).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`), '',
    "run 'mastro COMMAND --help' for a command's options", '', ...EXIT_STATUS,
  ].join('\n');
}
