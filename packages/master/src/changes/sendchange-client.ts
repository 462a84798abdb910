/**
 * `mastro sendchange`: posts one Change to a master's `/change_hook/base` over HTTP, with Buildbot
 * sendchange's options. The master must serve `www` with `changeHooks: { base: {} }`; `--auth
 * user:password` is sent as HTTP Basic credentials.
 */
import { readFileSync } from 'node:fs';
import { closest } from '../model/config-checks.js';
import { ErrorCodes } from '../errors/catalog.js';

export interface SendChangeOptions {
  /** `host:port` of the master's HTTP server (not the worker port), or a full http(s) URL of the server or of the hook. */
  master: string;
  /** `user:password` for HTTP Basic authentication. */
  auth?: string;
  who?: string;
  repository?: string;
  project?: string;
  branch?: string;
  category?: string;
  revision?: string;
  comments?: string;
  /** Epoch seconds (fractions allowed). */
  when?: number;
  revlink?: string;
  vc?: string;
  codebase?: string;
  properties?: Record<string, string>;
  files?: string[];
  /** Milliseconds before giving up on the master. Default 30000. */
  timeoutMs?: number;
}

export interface SendChangeResult { status: number; message: string; changeIds: number[] }

export class SendChangeError extends Error {
  readonly code = ErrorCodes.SENDCHANGE_FAILED;
  constructor(message: string, readonly status: number | null) { super(message); this.name = 'SendChangeError'; }
}

/** A mistake in the command line (exit 2, as every mastro command's wrong usage); other failures exit 1. */
export class SendChangeUsageError extends SendChangeError {
  constructor(message: string) { super(message, null); this.name = 'SendChangeUsageError'; }
}

/** The hook URL for a `--master` value: `host:port` -> http://host:port/change_hook/base. */
export function hookUrl(master: string): string {
  const withScheme = /^https?:\/\//i.test(master) ? master : `http://${master}`;
  let url: URL;
  try { url = new URL(withScheme); } catch {
    throw new SendChangeUsageError(`--master ${JSON.stringify(master)} is not an address: give HOST:PORT of the master's www server (e.g. localhost:8010) or an http(s):// URL`);
  }
  if (!/\/change_hook\/[^/]+\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/change_hook/base`;
  return url.toString();
}

/** The form fields `/change_hook/base` reads (Buildbot's names; files and properties as JSON). */
export function changeForm(o: SendChangeOptions): URLSearchParams {
  const form = new URLSearchParams();
  const put = (k: string, v: string | number | undefined) => { if (v !== undefined && v !== '') form.set(k, String(v)); };
  put('author', o.who);
  put('repository', o.repository);
  put('project', o.project);
  put('branch', o.branch);
  put('category', o.category);
  put('revision', o.revision);
  put('comments', o.comments);
  put('when_timestamp', o.when);
  put('revlink', o.revlink);
  put('codebase', o.codebase);
  put('vc', o.vc);
  form.set('files', JSON.stringify(o.files ?? []));
  form.set('properties', JSON.stringify(o.properties ?? {}));
  return form;
}

export async function sendChange(o: SendChangeOptions): Promise<SendChangeResult> {
  if (!o.who) throw new SendChangeUsageError('--who is required (the author of the change, e.g. "Jane <jane@example.org>")');
  const url = hookUrl(o.master);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (o.auth) {
    if (!o.auth.includes(':')) throw new SendChangeUsageError('--auth must be user:password');
    headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: changeForm(o).toString(), signal: AbortSignal.timeout(o.timeoutMs ?? 30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new SendChangeError(`cannot reach the master at ${url} (${cause}); --master is the HTTP address of its www server (default port 8010)`, null);
  }
  const text = await res.text();
  let body: { message?: string; changes?: number[] } = {};
  try { body = JSON.parse(text); } catch { body = { message: text.trim() }; }
  if (res.status === 401 || res.status === 403) throw new SendChangeError(`the master refused the credentials (${res.status}); check --auth`, res.status);
  if (res.status === 404) throw new SendChangeError(`the master has no ${new URL(url).pathname}; enable it with www: { changeHooks: { base: {} } }`, res.status);
  if (!res.ok) throw new SendChangeError(`the master answered ${res.status}${body.message ? `: ${body.message}` : ''}`, res.status);
  return { status: res.status, message: body.message ?? 'change sent', changeIds: body.changes ?? [] };
}

export const SENDCHANGE_USAGE = `Usage: mastro sendchange --master HOST:PORT --who AUTHOR [options] [FILE ...]

Options (Buildbot sendchange's):
  -m, --master HOST:PORT   the master's HTTP (www) address, or a URL        (required)
  -a, --auth USER:PASS     HTTP Basic credentials
  -W, --who AUTHOR         author of the change                              (required)
  -R, --repository URL     repository
  -P, --project NAME       project
  -b, --branch NAME        branch
  -C, --category NAME      category
  -r, --revision REV       revision
      --revision_file FILE read the revision from FILE
  -c, --comments TEXT      comments (log message)
  -F, --logfile FILE       read the comments from FILE ('-' for stdin)
  -w, --when SECONDS       timestamp of the change (epoch seconds)
  -l, --revlink URL        link to the revision
  -s, --vc NAME            version control system (git, hg, svn, ...)
      --codebase NAME      codebase
  -p, --property NAME:VALUE  a property (repeatable)
  FILE ...                 files changed`;

const FLAGS: Record<string, string> = {
  '-m': 'master', '--master': 'master', '-a': 'auth', '--auth': 'auth', '-W': 'who', '--who': 'who', '--username': 'who',
  '-R': 'repository', '--repository': 'repository', '-P': 'project', '--project': 'project', '-b': 'branch', '--branch': 'branch',
  '-C': 'category', '--category': 'category', '-r': 'revision', '--revision': 'revision', '--revision_file': 'revision_file', '--revision-file': 'revision_file',
  '-c': 'comments', '--comments': 'comments', '-F': 'logfile', '--logfile': 'logfile', '-w': 'when', '--when': 'when',
  '-l': 'revlink', '--revlink': 'revlink', '-s': 'vc', '--vc': 'vc', '--codebase': 'codebase', '-p': 'property', '--property': 'property',
  '--timeout': 'timeout',
};

/** Parses sendchange's command line (`--flag value`, `--flag=value`). Throws with a usage hint on mistakes. */
export function parseSendchangeArgs(argv: readonly string[], readStdin: () => string = () => readFileSync(0, 'utf8')): SendChangeOptions {
  const o: SendChangeOptions = { master: '', files: [], properties: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { o.files!.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { o.files!.push(arg); continue; }
    const eq = arg.indexOf('=');
    const flag = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const key = FLAGS[flag];
    if (!key) {
      const close = closest(flag, Object.keys(FLAGS).filter((f) => f.startsWith('--')));
      throw new SendChangeUsageError(`unknown option ${flag}${close ? `; did you mean ${close}?` : ''}\n\n${SENDCHANGE_USAGE}`);
    }
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new SendChangeUsageError(`${flag} needs a value`);
    switch (key) {
      case 'property': {
        const sep = value.indexOf(':');
        if (sep <= 0) throw new SendChangeUsageError(`--property must be name:value, got ${JSON.stringify(value)}`);
        o.properties![value.slice(0, sep)] = value.slice(sep + 1);
        break;
      }
      case 'when': {
        const n = Number(value);
        if (!Number.isFinite(n)) throw new SendChangeUsageError(`--when must be epoch seconds, got ${JSON.stringify(value)}`);
        o.when = n;
        break;
      }
      case 'timeout': o.timeoutMs = Number(value) * 1000; break;
      case 'revision_file': o.revision = readFileSync(value, 'utf8').trim(); break;
      case 'logfile': o.comments = value === '-' ? readStdin() : readFileSync(value, 'utf8'); break;
      default: (o as unknown as Record<string, string>)[key] = value;
    }
  }
  if (!o.master) throw new SendChangeUsageError(`--master is required\n\n${SENDCHANGE_USAGE}`);
  return o;
}

/** The CLI entry: prints the outcome and returns the exit code. */
export async function sendchangeMain(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.out(`${SENDCHANGE_USAGE}\n`); return 0; }
  try {
    const r = await sendChange(parseSendchangeArgs(argv));
    io.out(`change sent successfully${r.changeIds.length ? ` (change ${r.changeIds.join(', ')})` : ''}\n`);
    return 0;
  } catch (err) {
    io.err(`mastro sendchange: ${(err as Error).message}\n`);
    return err instanceof SendChangeUsageError ? 2 : 1;
  }
}
