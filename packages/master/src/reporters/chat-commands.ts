/**
 * The commands a chat bot answers (Buildbot's Contact, reporters/words.py), for one message from
 * one user: `help [COMMAND]`, `commands`, `status [BUILDER|all]`, `last [BUILDER|all]`,
 * `watch BUILDER`, `force build [--branch=B] [--revision=R] BUILDER REASON`,
 * `stop build BUILDER [NUMBER] REASON`. Force and stop go through the master's control
 * (ReporterControl, the path of the REST actions).
 *
 * Who may run what is Buildbot's `authz`: a map of command names to `true`, `false` or a list of
 * nicks; `''` is the default of the harmless commands (allowed unless it says otherwise), `'!'`
 * the default of the dangerous ones, force and stop (refused unless it says otherwise), `'*'`
 * overrides both defaults. `allowForce: true` is `{ force: true, stop: true }`. Nicks are not
 * proof of identity on a network without nick registration: list only nicks the network protects.
 */
import type { ReporterControl, ReportReads } from './base.js';
import { buildUrl } from './build-details.js';
import {
  builderByName, configuredBuilders, lastLine, onlineBuilderIds, runningBuilds, statusLine, UsageError, type ChatFormat,
} from './chat-status.js';

export type ChatAuthz = Readonly<Record<string, boolean | readonly string[]>>;

/** Commands that change something: refused unless authz allows them. */
export const DANGEROUS = new Set(['force', 'stop']);

const USAGE: Record<string, string> = {
  help: 'help [COMMAND] - what the commands do',
  commands: 'commands - list the commands',
  status: 'status [BUILDER|all] - what a builder (or every online builder) is doing',
  last: 'last [BUILDER|all] - the last finished build of a builder (or of every online builder)',
  watch: 'watch BUILDER - announce here when the running builds of BUILDER finish',
  force: 'force build [--branch=BRANCH] [--revision=REVISION] BUILDER REASON - start a build',
  stop: 'stop build BUILDER [NUMBER] REASON - stop the running build(s) of BUILDER',
};
export const COMMANDS = Object.keys(USAGE);

/** Buildbot's getCommandMethod acl. */
export function mayRun(authz: ChatAuthz, command: string, nick: string): boolean {
  const get = (k: string) => authz[k] ?? authz[k.toUpperCase()];
  let acl = get(command);
  if (acl === undefined) acl = get('*') ?? (DANGEROUS.has(command) ? get('!') ?? false : get('') ?? true);
  if (Array.isArray(acl)) return acl.some((n) => n.toLowerCase() === nick.toLowerCase());
  return acl === true;
}

/** Splits a command line as a shell would (Buildbot uses shlex): quotes group words. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of text) {
    if (quote) { if (ch === quote) quote = null; else cur += ch; continue; }
    if (ch === '"' || ch === "'") { quote = ch; has = true; continue; }
    if (/\s/.test(ch)) { if (has || cur) out.push(cur); cur = ''; has = false; continue; }
    cur += ch;
  }
  if (quote) throw new UsageError('No closing quotation');
  if (has || cur) out.push(cur);
  return out;
}

const REF = /^[\w./@+~^-]{1,255}$/;

export interface ChatCommandHost {
  readonly reads: ReportReads;
  readonly control: ReporterControl | null;
  readonly authz: ChatAuthz;
  format(): ChatFormat;
  /** Registers `replyTo` to hear when build `buildid` finishes. */
  watch(buildid: number, replyTo: string): void;
}

/** Who asked, as Buildbot describes a user: `alice` in private, `alice on #ci` in a channel. */
export interface ChatCaller { nick: string; where: string | null }

/**
 * Runs one command line; resolves with the lines to answer (none for silence). A mistake is
 * answered with what to type; an unexpected failure with a pointer to the master log.
 */
export async function runCommand(host: ChatCommandHost, caller: ChatCaller, line: string): Promise<string[]> {
  const [word = ''] = line.trim().split(/\s+/);
  const command = word.toLowerCase();
  const args = line.trim().slice(word.length).trim();
  if (!command) return [];
  if (!Object.hasOwn(USAGE, command)) return [`I don't know '${word}'. Commands: ${COMMANDS.join(', ')} (help COMMAND tells more)`];
  if (!mayRun(host.authz, command, caller.nick)) {
    return [`Sorry ${caller.nick}, you are not allowed to use '${command}' (the bot's authz lists who may)`];
  }
  try {
    return await dispatch(host, caller, command, splitArgs(args));
  } catch (err) {
    if (err instanceof UsageError) return [err.message];
    throw err;
  }
}

async function dispatch(host: ChatCommandHost, caller: ChatCaller, command: string, args: string[]): Promise<string[]> {
  const f = host.format();
  const who = caller.where ? `${caller.nick} on ${caller.where}` : caller.nick;
  switch (command) {
    case 'help': {
      if (!args.length) return COMMANDS.map((c) => USAGE[c]!);
      const u = USAGE[args[0]!.toLowerCase()];
      if (!u) throw new UsageError(`There is no such command '${args[0]}'.`);
      return [`Usage: ${u}`];
    }
    case 'commands': return [`Commands: ${COMMANDS.join(', ')}`];
    case 'status': case 'last': {
      if (args.length > 1) throw new UsageError(`Try '${USAGE[command]}'.`);
      const online = await onlineBuilderIds(host.reads);
      const builders = args[0] && args[0] !== 'all' ? [await builderByName(host.reads, args[0])] : (await configuredBuilders(host.reads)).filter((b) => args[0] === 'all' || online.has(b.builderid));
      if (!builders.length) return ['No builder is online (status all lists every builder).'];
      const lines: string[] = [];
      for (const b of builders) lines.push(command === 'status' ? await statusLine(host.reads, b, online, f) : await lastLine(host.reads, b, f));
      return lines;
    }
    case 'watch': {
      if (args.length !== 1) throw new UsageError(`Try '${USAGE.watch}'.`);
      const b = await builderByName(host.reads, args[0]!);
      const builds = await runningBuilds(host.reads, b.builderid);
      if (!builds.length) return ['There are no currently running builds.'];
      return builds.map((build) => {
        host.watch(build.buildid, caller.where ?? caller.nick);
        return `Watching build #${build.number} of ${b.name} until it finishes... ${buildUrl(f.buildbotURL, b.builderid, build.number)}`;
      });
    }
    case 'force': {
      if (args[0] !== 'build') throw new UsageError(`Try '${USAGE.force}'.`);
      const opts: { branch?: string; revision?: string } = {};
      const words: string[] = [];
      for (const a of args.slice(1)) {
        const m = /^--(branch|revision)=(.*)$/.exec(a);
        if (m) {
          if (!REF.test(m[2]!)) throw new UsageError(`Sorry, bad ${m[1]} '${m[2]}'`);
          opts[m[1] as 'branch' | 'revision'] = m[2]!;
        } else if (a.startsWith('--') && !words.length) throw new UsageError(`unknown option ${a}; try '${USAGE.force}'`);
        else words.push(a);
      }
      const [builderName, ...reason] = words;
      if (!builderName) throw new UsageError(`you must give a builder; try '${USAGE.force}'`);
      const b = await builderByName(host.reads, builderName);
      if (!host.control) return ['I cannot force builds here (this master offers no control).'];
      try {
        const { bsid } = await host.control.forceBuild({ builderName: b.name, reason: reason.join(' ') || `forced by ${who}`, owner: who, ...opts });
        return [`Force build of ${b.name} successfully requested (buildset ${bsid}).`];
      } catch (err) {
        return [`I can't: ${(err as Error).message}`];
      }
    }
    case 'stop': {
      if (args[0] !== 'build' || args.length < 3) throw new UsageError(`Try '${USAGE.stop}'.`);
      const b = await builderByName(host.reads, args[1]!);
      const number = /^\d+$/.test(args[2]!) && args.length > 3 ? Number(args[2]) : null;
      const reason = args.slice(number === null ? 2 : 3).join(' ');
      const builds = (await runningBuilds(host.reads, b.builderid)).filter((x) => number === null || x.number === number);
      if (!builds.length) return [number === null ? 'Sorry, no build is currently running.' : `Sorry, build #${number} of ${b.name} is not running.`];
      if (!host.control) return ['I cannot stop builds here (this master offers no control).'];
      const out: string[] = [];
      for (const build of builds) {
        const stopped = await host.control.stopBuild(build.buildid, `stopped: by ${who}: ${reason}`);
        out.push(stopped ? `Build #${build.number} of ${b.name} interrupted.` : `Build #${build.number} of ${b.name} is not running on this master.`);
      }
      return out;
    }
    default: return [];
  }
}
