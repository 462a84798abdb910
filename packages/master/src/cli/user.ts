/**
 * `mastro user` — local users of the web UI and API, stored in `<DIR>/users.json` (mode 0600):
 *   mastro user add DIR NAME [--roles admin,dev] [--password-stdin]   (asks for the password twice at a terminal,
 *                                                                      without echo; or reads one line from stdin)
 *   mastro user remove DIR NAME
 *   mastro user list DIR
 *   mastro user token DIR NAME            prints a new API token once (use: Authorization: Bearer <token>)
 *   mastro user revoke-token DIR NAME ID
 * The running master sees changes at once (it re-reads the file when it changes).
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsersStore, UserStoreError } from '../www/auth/users-store.js';
import { closest } from '../model/config-checks.js';
import { USER_SUBCOMMANDS } from './help.js';

export const USER_USAGE = ['usage:', ...USER_SUBCOMMANDS.map((l) => `  ${l}`)].join('\n');

interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Something named on the command line does not exist (exit 1; wrong usage exits 2). */
class NotFoundError extends UserStoreError {}
/** The user pressed Ctrl-C at a prompt (exit 130, as a shell reports SIGINT). */
class CancelledError extends UserStoreError {}

async function readPassword(io: Io, fromStdin: boolean): Promise<string> {
  if (!fromStdin && io.stdin.isTTY && io.stdin.setRawMode) {
    const [first, again] = await readHidden(io, ['password: ', 'again: ']);
    if (first !== again) throw new UserStoreError('the two passwords differ; nothing was saved. Run the command again');
    return first!;
  }
  const rl = createInterface({ input: io.stdin, terminal: false });
  for await (const line of rl) { rl.close(); return line; }
  throw new UserStoreError('no password given on standard input');
}

/**
 * One line per prompt typed at the terminal with echo off. The terminal is in raw mode from before
 * the first prompt until after the last answer, so nothing typed (even typed ahead) is shown, as a
 * cooked-mode read would. Backspace and Ctrl-U edit, Enter ends a line, Ctrl-C cancels, Ctrl-D on
 * an empty line means no password.
 */
function readHidden(io: Io, prompts: readonly string[]): Promise<string[]> {
  const stdin = io.stdin;
  stdin.setRawMode!(true);
  io.stderr.write(prompts[0]!);
  return new Promise<string[]>((resolve, reject) => {
    const lines: string[] = [];
    let typed: string[] = [];
    const finish = (err: Error | null) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      if (err) { io.stderr.write('\n'); reject(err); } else resolve(lines);
    };
    /** Ends the current line; true when it was the last one. */
    const endLine = (): boolean => {
      lines.push(typed.join(''));
      typed = [];
      io.stderr.write('\n');
      if (lines.length === prompts.length) { finish(null); return true; }
      io.stderr.write(prompts[lines.length]!);
      return false;
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') { if (endLine()) return; }
        else if (ch === '\u0003') return finish(new CancelledError('cancelled; nothing was saved'));
        else if (ch === '\u0004') { if (!typed.length) return finish(new UserStoreError('no password given')); if (endLine()) return; }
        else if (ch === '\u007f' || ch === '\b') typed.pop();
        else if (ch === '\u0015') typed = [];
        else if (ch === '\u001b') break; // an escape sequence (arrow keys) is not part of a password
        else if (ch >= ' ') typed.push(ch);
      }
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** Runs `mastro user ...` (argv after `user`); returns the process exit code. */
export async function runUserCommand(argv: string[], io: Io = process): Promise<number> {
  const flags = new Map<string, string | true>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--password-stdin') flags.set(a, true);
    else if (a === '--roles') flags.set(a, argv[++i] ?? '');
    else if (a.startsWith('--roles=')) flags.set('--roles', a.slice(8));
    else if (a === '-h' || a === '--help') { io.stdout.write(USER_USAGE + '\n'); return 0; }
    else if (a.startsWith('--')) {
      const close = closest(a.replace(/=.*/, ''), ['--roles', '--password-stdin', '--help']);
      io.stderr.write(`unknown option ${a}${close ? `; did you mean ${close}?` : ''}\n${USER_USAGE}\n`);
      return 2;
    }
    else args.push(a);
  }
  const [sub, dir, name, extra] = args;
  const need = (n: number) => {
    if (args.length !== n) throw new UserStoreError(`'mastro user ${sub}' takes ${n - 1} arguments\n${USER_USAGE}`);
  };
  try {
    if (!sub || !dir) throw new UserStoreError(USER_USAGE);
    if (!existsSync(dir)) throw new NotFoundError(`master directory ${dir} does not exist (create it with 'mastro create-master ${dir}')`);
    const store = new UsersStore(dir);
    switch (sub) {
      case 'add': {
        need(3);
        const roles = String(flags.get('--roles') ?? '').split(',').map((r) => r.trim()).filter(Boolean);
        const password = await readPassword(io, flags.has('--password-stdin'));
        await store.add(name!, password, roles);
        io.stdout.write(`user ${name} saved in ${store.file} (roles: ${roles.join(', ') || 'none'})\n`);
        return 0;
      }
      case 'remove': {
        need(3);
        if (!(await store.remove(name!))) throw new NotFoundError(`no user ${JSON.stringify(name)} in ${store.file}`);
        io.stdout.write(`user ${name} removed\n`);
        return 0;
      }
      case 'list': {
        need(2);
        for (const u of await store.list()) io.stdout.write(`${u.username}\troles=${u.roles.join(',') || '-'}\ttokens=${u.tokens}${u.hasPassword ? '' : '\t(no password)'}\n`);
        return 0;
      }
      case 'token': {
        need(3);
        const t = await store.createToken(name!);
        io.stderr.write(`token ${t.id} for ${name}; it is shown only now. Use it as: Authorization: Bearer <token>\n`);
        io.stdout.write(`${t.token}\n`);
        return 0;
      }
      case 'revoke-token': {
        need(4);
        if (!(await store.revokeToken(name!, extra!))) throw new NotFoundError(`user ${name} has no token ${extra}`);
        io.stdout.write(`token ${extra} revoked\n`);
        return 0;
      }
      default: throw new UserStoreError(`unknown command 'mastro user ${sub}'\n${USER_USAGE}`);
    }
  } catch (err) {
    if (err instanceof UserStoreError) { io.stderr.write(`${err.message}\n`); return err instanceof NotFoundError ? 1 : err instanceof CancelledError ? 130 : 2; }
    throw err;
  }
}
