/**
 * `reporters.irc({ host, port, nick, password, useSSL, channels, pmToNicks, notifyEvents,
 * allowForce, authz, tags, noticeOnChannel, useColors, showBlameList, ... })`: Buildbot's IRC bot
 * on ./transport/irc-client.ts (which registers, joins, keeps the connection alive and reconnects
 * with backoff).
 *
 * - Announcements come through the outbox like any report (its generators, by default
 *   buildStartEnd, pick the builds: builders, tags, branches): each one is said in the joined
 *   channels and to `pmToNicks` when `notifyEvents` names it (./chat-events.ts), and to whoever
 *   `watch`es the build. While the bot is not connected a report waits and is retried, so an
 *   outage of the IRC server delays announcements instead of losing them (up to retryFor).
 * - Commands (./chat-commands.ts) are answered in private, and in a channel when addressed to the
 *   bot (`mastro: status`), as Buildbot's bot does; force and stop go through the master's control.
 * The bot runs from the reporter's `start` (the master's reporters start, or a reconfig adds it)
 * to its `close`.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { bool, describe, isPlainObject, type Obj } from '../model/config-checks.js';
import { Results } from '../model/results.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterRuntime, type ReporterSpec } from './base.js';
import { checkSecret, renderSecrets, type SecretOrString } from './options.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';
import { isChatEvent, needsPrevious, notifiesFinished, CHAT_EVENTS } from './chat-events.js';
import { runCommand, type ChatAuthz } from './chat-commands.js';
import { resultText, type ChatFormat } from './chat-status.js';
import { buildUrl, type BuildDetails } from './build-details.js';
import { TransportError, TransportErrorCodes } from './transport/errors.js';
import type { IrcChatMessage, IrcClient } from './transport/irc-client.js';

export interface IrcOptions {
  /** The IRC server. Required. */
  host: string;
  /** Default 6667, or 6697 with useSSL. */
  port?: number;
  /** The bot's nick. Required. */
  nick: string;
  /** The server password (PASS); may be util.secret(...). Default none. */
  password?: SecretOrString;
  /** TLS from the first byte. Default false. */
  useSSL?: boolean;
  /** Extra CA certificate for the server: PEM text or a PEM file's path. Default none. */
  ca?: string;
  /** Verify the server's TLS certificate. Default true. */
  verify?: boolean;
  /** Channels to join and announce in, `'#ci'` or `{ channel: '#ci', password: 'key' }`. Default none. */
  channels?: Array<string | { channel: string; password?: string }>;
  /** Nicks told the announcements in private (Buildbot's pm_to_nicks). Default none. */
  pmToNicks?: string[];
  /** What is announced: started, finished, success, warnings, failure, exception, cancelled, problem, recovery, worse, better, worker, or pairs such as successToFailure. Default none (as Buildbot). */
  notifyEvents?: string[];
  /** Buildbot's old switch: true lets everyone force and stop builds. Not together with authz. */
  allowForce?: boolean;
  /** Who may run which command: `{ force: ['alice'], stop: ['alice'], '': true }` (see chat-commands.ts). Default: everyone the harmless commands, nobody force and stop. */
  authz?: Record<string, boolean | string[]>;
  /** Announce only builds of builders with one of these tags. Default all. */
  tags?: string[];
  /** Say announcements in channels as NOTICEs. Default false. */
  noticeOnChannel?: boolean;
  /** Colour the result words (mIRC colours). Default true (as Buildbot). */
  useColors?: boolean;
  /** Name the changes' authors when a build did not succeed. Default true (as Buildbot). */
  showBlameList?: boolean;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type IrcSpec = ReporterSpec & IrcOptions & { kind: 'irc' };
export const IRC_KEYS = [
  'host', 'port', 'nick', 'password', 'useSSL', 'ca', 'verify', 'channels', 'pmToNicks', 'notifyEvents', 'allowForce', 'authz', 'tags',
  'noticeOnChannel', 'useColors', 'showBlameList',
] as const;
/** Announcements remembered to say each once, also when a delivery is repeated. */
const REMEMBERED = 500;

export class IrcBot extends ReporterBase<IrcSpec> {
  private client: IrcClient | undefined;
  private runtime: ReporterRuntime | undefined;
  private lastProblem = 'the bot has not connected yet';
  private readonly watchers = new Map<number, Set<string>>();
  private readonly said = new Set<string>();
  private readonly events = new Set(this.spec.notifyEvents ?? []);

  private get authz(): ChatAuthz {
    return this.spec.allowForce === undefined ? this.spec.authz ?? {} : { ...this.spec.authz, force: this.spec.allowForce, stop: this.spec.allowForce };
  }

  private format(): ChatFormat {
    return { colours: this.spec.useColors !== false, buildbotURL: this.runtime?.buildbotURL ?? 'http://localhost:8010/' };
  }

  async start(runtime: ReporterRuntime): Promise<void> {
    this.runtime = runtime;
    const s = this.spec;
    const password = s.password === undefined ? undefined : String(await renderSecrets(s.password, runtime));
    const { IrcClient } = await import('./transport/irc-client.js');
    const client = new IrcClient({
      host: s.host, nick: s.nick, ...(s.port !== undefined ? { port: s.port } : {}), ...(password ? { password } : {}),
      ...(s.useSSL ? { useSSL: true } : {}), ...(s.ca ? { ca: s.ca } : {}), ...(s.verify === false ? { rejectUnauthorized: false } : {}),
      channels: s.channels ?? [],
    });
    const log = runtime.logger;
    client.on('registered', ({ nick }) => { log.info({ reporter: this.name, nick }, `reporter ${this.name}: connected to ${s.host} as ${nick}`); });
    client.on('joined', ({ channel }) => { log.info({ reporter: this.name, channel }, `reporter ${this.name}: joined ${channel}`); });
    client.on('disconnected', ({ reason }) => {
      this.lastProblem = reason;
      log.warn({ reporter: this.name, reason }, `reporter ${this.name}: disconnected from ${s.host} (${reason}); reconnecting`);
    });
    client.on('warning', (err) => { this.lastProblem = err.message; log.warn({ reporter: this.name, code: err.code }, `reporter ${this.name}: ${err.message}`); });
    client.on('message', (m) => { void this.onMessage(m); });
    this.client = client;
    client.start();
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.stop('mastro reconfigured or stopping');
  }

  /** A command, in private or addressed to the bot in a channel. */
  private async onMessage(m: IrcChatMessage): Promise<void> {
    const client = this.client;
    const rt = this.runtime;
    if (!client || !rt || m.kind !== 'privmsg') return; // never answer a NOTICE (RFC 2812 §3.3.2)
    let text = m.text;
    if (!m.private) {
      const nick = client.nick.toLowerCase();
      const lower = text.toLowerCase();
      if (!lower.startsWith(`${nick}:`) && !lower.startsWith(`${nick},`)) return;
      text = text.slice(nick.length + 1);
    }
    let lines: string[];
    try {
      lines = await runCommand({
        reads: rt.data, control: rt.control, authz: this.authz, format: () => this.format(),
        watch: (buildid, replyTo) => { const w = this.watchers.get(buildid) ?? new Set(); w.add(replyTo); this.watchers.set(buildid, w); },
      }, { nick: m.nick, where: m.private ? null : m.target }, text);
    } catch (err) {
      rt.logger.error({ err, reporter: this.name, from: m.nick }, `reporter ${this.name}: the command ${JSON.stringify(text.trim().slice(0, 100))} from ${m.nick} failed`);
      lines = ['Something bad happened (the master log has the details).'];
    }
    for (const line of lines) this.say(m.replyTo, line);
  }

  private say(target: string, text: string): void {
    const c = this.client;
    if (!c) return;
    // Buildbot's noticeOnChannel: channels get NOTICEs (which other bots never answer), people PRIVMSGs.
    if (this.spec.noticeOnChannel && /^[#&+!]/.test(target)) c.notice(target, text);
    else c.say(target, text);
  }

  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const what = await this.announcement(report, ctx);
    if (!what) return;
    const client = this.client;
    if (!client || !client.registered) {
      throw new TransportError(TransportErrorCodes.NETWORK, `the IRC bot ${this.spec.nick} is not connected to ${this.spec.host} (${this.lastProblem}); the announcement waits for the connection`, { target: `irc://${this.spec.host}` });
    }
    const channels = what.everyone ? client.channels : [];
    const targets = new Set([...channels, ...(what.everyone ? this.spec.pmToNicks ?? [] : []), ...what.watchers]);
    if (what.everyone && !channels.length && this.spec.channels?.length && !(this.spec.pmToNicks?.length) && !what.watchers.length) {
      throw new TransportError(TransportErrorCodes.NETWORK, `the IRC bot ${client.nick} has not joined its channels (${this.spec.channels.map((c) => (typeof c === 'string' ? c : c.channel)).join(', ')}) yet; the announcement waits`, { target: `irc://${this.spec.host}` });
    }
    for (const t of targets) this.say(t, what.text);
    this.remember(what.key);
  }

  private remember(key: string): void {
    this.said.add(key);
    if (this.said.size > REMEMBERED) this.said.delete(this.said.values().next().value!);
  }

  /** What to say about a report and to whom, or null when nobody is to hear it. */
  private async announcement(report: Report, ctx: ReporterContext): Promise<{ text: string; everyone: boolean; watchers: string[]; key: string } | null> {
    if (report.worker) {
      if (!this.events.has('worker')) return null;
      const seen = report.worker.lastConnection ? new Date(report.worker.lastConnection * 1000).toISOString() : 'never';
      return { text: `Worker ${report.worker.name} is missing. It was seen last on ${seen}.`, everyone: true, watchers: [], key: `worker:${report.event.id}` };
    }
    const build = report.builds[0];
    if (!build) return null;
    if (this.spec.tags && !this.spec.tags.some((t) => build.builder.tags.includes(t))) return null;
    const url = buildUrl(ctx.buildbotURL, build.builderid, build.number);
    if (!build.complete) {
      const key = `started:${build.buildid}`;
      if (!this.events.has('started') || this.said.has(key)) return null;
      return { text: `Build #${build.number} of ${build.builder.name} started. ${url}`, everyone: true, watchers: [], key };
    }
    const key = `finished:${build.buildid}`;
    const watchers = [...(this.watchers.get(build.buildid) ?? [])];
    this.watchers.delete(build.buildid);
    const results = build.results ?? Results.EXCEPTION;
    const previous = needsPrevious(this.events) ? (await ctx.data.getPreviousBuild(build.buildid))?.results ?? null : null;
    const everyone = !this.said.has(key) && notifiesFinished(this.events, results, previous);
    if (!everyone && !watchers.length) return null;
    return { text: this.finishedText(build, url), everyone, watchers, key };
  }

  private finishedText(build: BuildDetails, url: string): string {
    const ok = build.results === Results.SUCCESS;
    let text = `Build #${build.number} of ${build.builder.name} ${resultText(build.results, this.format())}${!ok && build.state_string ? `: ${build.state_string}` : '.'} ${url}`;
    if (!ok && this.spec.showBlameList !== false && build.blamelist.length) text += `  blamelist: ${build.blamelist.join(', ')}`;
    return text;
  }
}

function checkNickList(c: IssueCollector, o: Obj, key: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (!Array.isArray(v)) { c.add(key, `must be a list of nicks, got ${describe(v)}`); return; }
  v.forEach((n, i) => { if (typeof n !== 'string' || !/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/.test(n)) c.at(key).add(i, `is not an IRC nick: ${describe(n)}`); });
}

export const ircKind: ReporterKind<IrcSpec> = {
  optionKeys: IRC_KEYS,
  defaultGenerators: () => [{ kind: 'buildStartEnd' }],
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    if (typeof o.host !== 'string' || !o.host || o.host.startsWith('-')) c.add('host', 'is required: the IRC server\'s host name');
    if (typeof o.nick !== 'string' || !/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/.test(o.nick)) c.add('nick', `is required: the bot's nick (letters, digits and []\\\`_^{|}-, not starting with a digit or -), got ${describe(o.nick)}`);
    if (o.port !== undefined && !(typeof o.port === 'number' && Number.isInteger(o.port) && o.port > 0 && o.port < 65536)) c.add('port', `must be a port number, got ${describe(o.port)}`);
    checkSecret(c, o, 'password');
    for (const k of ['useSSL', 'verify', 'allowForce', 'noticeOnChannel', 'useColors', 'showBlameList']) if (o[k] !== undefined) bool(c, o, k, false);
    if (o.ca !== undefined && (typeof o.ca !== 'string' || !o.ca)) c.add('ca', 'must be PEM text or the path of a PEM file');
    if (o.channels !== undefined) {
      if (!Array.isArray(o.channels)) c.add('channels', `must be a list of channels ('#ci' or { channel: '#ci', password }), got ${describe(o.channels)}`);
      else o.channels.forEach((ch, i) => {
        const name = typeof ch === 'string' ? ch : isPlainObject(ch) ? ch.channel : undefined;
        if (typeof name !== 'string' || !/^[#&+!][^\s,\x07]{1,49}$/.test(name)) c.at('channels').add(i, `is not a channel name such as '#ci': ${describe(ch)}`);
        else if (isPlainObject(ch) && ch.password !== undefined && (typeof ch.password !== 'string' || !ch.password)) c.at('channels').at(i).add('password', 'must be the channel key (a string)');
      });
    }
    checkNickList(c, o, 'pmToNicks');
    if (o.notifyEvents !== undefined) {
      if (!Array.isArray(o.notifyEvents)) c.add('notifyEvents', `must be a list of events (${CHAT_EVENTS.join(', ')}, or pairs such as successToFailure), got ${describe(o.notifyEvents)}`);
      else o.notifyEvents.forEach((e, i) => { if (!isChatEvent(e)) c.at('notifyEvents').add(i, `unknown event ${describe(e)}; events are: ${CHAT_EVENTS.join(', ')}, or pairs such as successToFailure`); });
    }
    if (o.allowForce !== undefined && o.authz !== undefined) c.add('allowForce', 'give authz or allowForce (Buildbot\'s older switch), not both: authz: { force: [...], stop: [...] }');
    if (o.authz !== undefined) {
      if (!isPlainObject(o.authz)) c.add('authz', `must map commands to true, false or a list of nicks, got ${describe(o.authz)}`);
      else for (const [k, v] of Object.entries(o.authz)) {
        if (typeof v === 'boolean') continue;
        if (!Array.isArray(v) || v.some((n) => typeof n !== 'string' || !n)) c.at('authz').add(k, `must be true, false or a list of nicks, got ${describe(v)}`);
      }
    }
    if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== 'string'))) c.add('tags', `must be a list of builder tags, got ${describe(o.tags)}`);
  },
  create: (spec, generators: Generator[]) => new IrcBot(spec, 'irc', generators),
};
