/**
 * One IRC client connection for the IRC reporter's bot (RFC 1459 / RFC 2812 client protocol,
 * written here: the npm IRC libraries are large, unmaintained or built for other Node versions).
 *
 * - Registration: PASS (a server password), NICK, USER; when the nick is taken (433/436/437) it
 *   tries `nick_`, `nick__`, then the nick with three random digits; a reconnect tries the
 *   configured nick first again.
 * - Keeps the connection alive: answers the server's PING at once (past the flood queue), and
 *   sends its own PING after a quiet spell; no answer in time counts as a lost connection.
 * - Lost connections are reconnected forever, with exponential backoff and jitter (./backoff.ts);
 *   a connection that stayed up a while resets the backoff. Channels are joined again.
 * - Sends chat through a flood-control queue (a burst, then one line per interval, as servers
 *   expect of clients; ngircd penalises a client about a second per command), bounded: when it
 *   overflows the oldest lines go and a `warning` says how many. Text is split to fit the 512-byte
 *   line with the prefix the server adds when it relays (./irc-message.ts).
 * - Emits the channel and private messages it receives (`message`) for the bot's commands.
 * It knows nothing of builds: the IRC reporter decides what to say and how to answer.
 */
import { EventEmitter } from 'node:events';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { TransportError, TransportErrorCodes as C } from './errors.js';
import { MAX_LINE_BYTES, formatLine, ircLower, isChannel, nickOf, parseLine, splitText, type IrcMessage } from './irc-message.js';
import { trustedCas } from './tls-ca.js';

export interface IrcChannel { channel: string; password?: string }

export interface IrcClientOptions {
  host: string;
  /** @default 6667, or 6697 with useSSL */
  port?: number;
  nick: string;
  /** The user name sent in USER. @default the nick */
  username?: string;
  /** The real name sent in USER. @default 'mastro build bot' */
  realname?: string;
  /** The server password (PASS). @default none */
  password?: string;
  /** TLS from the first byte (Buildbot's useSSL). @default false */
  useSSL?: boolean;
  /** Extra CA certificate(s) to trust: PEM text or a PEM file's path. @default none (the public roots) */
  ca?: string;
  /** Verify the server's certificate. @default true */
  rejectUnauthorized?: boolean;
  /** Channels to join after registering, and again after every reconnect. @default none */
  channels?: ReadonlyArray<string | IrcChannel>;
  /** Limit on connecting and registering (up to the server's welcome, 001), ms. @default 30000 */
  connectTimeoutMs?: number;
  /** Quiet this long, the client sends a PING of its own, ms. @default 120000 */
  pingIntervalMs?: number;
  /** No data this long after that PING, the connection counts as lost, ms. @default 60000 */
  pingTimeoutMs?: number;
  /** Reconnect delays. @default { initialMs: 1000, maxMs: 300000, factor: 2, jitter: 0.5 } */
  reconnect?: BackoffOptions;
  /** A connection registered this long resets the reconnect backoff, ms. @default 60000 */
  stableAfterMs?: number;
  /** Lines sent at once before flood control spaces them. @default 4 */
  floodBurst?: number;
  /** Spacing of lines past the burst, ms. @default 1500 */
  floodIntervalMs?: number;
  /** Lines waiting at most; past it the oldest are dropped (and a warning says so). @default 300 */
  maxQueuedLines?: number;
}

/** A PRIVMSG or NOTICE the bot received. */
export interface IrcChatMessage {
  nick: string;
  /** `user@host` of the sender, when the server gave it (for allow-lists). */
  userHost?: string;
  /** The channel, or the bot's own nick for a private message. */
  target: string;
  text: string;
  /** Sent to the bot alone rather than to a channel. */
  private: boolean;
  kind: 'privmsg' | 'notice' | 'action';
  /** Where an answer goes: the channel, or the sender for a private message. */
  replyTo: string;
}

export interface IrcClientEvents {
  registered: [{ nick: string }];
  joined: [{ channel: string }];
  message: [IrcChatMessage];
  nick: [{ nick: string }];
  disconnected: [{ reason: string }];
  reconnecting: [{ attempt: number; delayMs: number }];
  /** Something the operator should see; the client carries on (reconnecting where it must). */
  warning: [TransportError];
}

type Defaulted = 'realname' | 'connectTimeoutMs' | 'pingIntervalMs' | 'pingTimeoutMs' | 'reconnect' | 'stableAfterMs' | 'floodBurst' | 'floodIntervalMs' | 'maxQueuedLines';
type Compiled = IrcClientOptions & Required<Pick<IrcClientOptions, Defaulted>> & { port: number };

export const IRC_PORT = 6667;
export const IRCS_PORT = 6697;
export const IRC_DEFAULTS: Readonly<Required<Pick<IrcClientOptions, Defaulted>>> = {
  realname: 'mastro build bot', connectTimeoutMs: 30_000, pingIntervalMs: 120_000, pingTimeoutMs: 60_000,
  reconnect: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.5 }, stableAfterMs: 60_000, floodBurst: 4, floodIntervalMs: 1500, maxQueuedLines: 300,
};

/** Longest line accepted from the server (IRCv3 allows 8191 bytes of tags before the 512 of the message). */
const MAX_INCOMING_BYTES = 8191 + MAX_LINE_BYTES;
/** Host names are at most 63 bytes per label in practice; used until the server tells us our own. */
const WORST_HOST = 63;

export class IrcClient extends EventEmitter<IrcClientEvents> {
  private readonly o: Compiled;
  private socket: Socket | undefined;
  private running = false;
  private isRegistered = false;
  private currentNick: string;
  private nickTry = 0;
  private userHost: string | undefined;
  private nickLen = 30;
  private chanTypes = '#&+!';
  private readonly wanted = new Map<string, string | undefined>(); // lower-cased channel -> key
  private readonly names = new Map<string, string>(); // lower-cased channel -> as given
  private readonly joinedSet = new Set<string>();
  private readonly queue: string[] = [];
  private dropped = 0;
  private tokens: number;
  private lastRefill = performance.now();
  private attempt = 0;
  private lastReason = '';
  private authWarned = false;
  private inbuf: Buffer = Buffer.alloc(0);
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private timers: { connect?: NodeJS.Timeout; idle?: NodeJS.Timeout; pong?: NodeJS.Timeout; drain?: NodeJS.Timeout; reconnect?: NodeJS.Timeout; stable?: NodeJS.Timeout } = {};

  constructor(options: IrcClientOptions) {
    super();
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as IrcClientOptions;
    this.o = { ...IRC_DEFAULTS, ...defined, port: options.port ?? (options.useSSL ? IRCS_PORT : IRC_PORT) };
    if (!/^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/.test(options.nick)) {
      throw new TransportError(C.CONFIG, `the IRC nick ${JSON.stringify(options.nick)} is not valid: use letters, digits and []\\\`_^{|}- , not starting with a digit or "-"`, { target: this.target, retryable: false });
    }
    this.currentNick = options.nick;
    this.tokens = this.o.floodBurst;
    for (const c of options.channels ?? []) {
      const ch = typeof c === 'string' ? { channel: c } : c;
      this.wanted.set(ircLower(ch.channel), ch.password);
      this.names.set(ircLower(ch.channel), ch.channel);
    }
  }

  get nick(): string { return this.currentNick; }
  get registered(): boolean { return this.isRegistered; }
  /** The channels the bot is in now. */
  get channels(): string[] { return [...this.joinedSet].map((c) => this.names.get(c) ?? c); }
  /** Lines waiting for flood control or for the connection. */
  get queuedLines(): number { return this.queue.length; }
  private get target(): string { return `${this.o?.useSSL ? 'ircs' : 'irc'}://${this.o?.host}:${this.o?.port}`; }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  /** Says QUIT, closes the connection and stops reconnecting; resolves when the socket is closed. */
  async stop(quitMessage = 'mastro is stopping'): Promise<void> {
    this.running = false;
    for (const t of Object.values(this.timers)) clearTimeout(t);
    this.timers = {};
    const s = this.socket;
    if (!s || s.destroyed) return;
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    if (this.isRegistered) this.writeNow(formatLine('QUIT', quitMessage));
    s.end();
    const force = setTimeout(() => s.destroy(), 2000);
    await closed;
    clearTimeout(force);
  }

  /** Sends chat text to a channel or nick (split to fit); returns the number of lines queued. */
  say(target: string, text: string): number { return this.chat('PRIVMSG', target, text); }
  notice(target: string, text: string): number { return this.chat('NOTICE', target, text); }
  /** A CTCP ACTION (`/me does something`). */
  action(target: string, text: string): number { return this.chat('PRIVMSG', target, text, true); }

  /** Joins a channel now (if connected) and after every reconnect. */
  join(channel: string, key?: string): void {
    this.wanted.set(ircLower(channel), key);
    this.names.set(ircLower(channel), channel);
    if (this.isRegistered) this.writeNow(key ? formatLine('JOIN', channel, key) : formatLine('JOIN', channel));
  }

  part(channel: string, reason = 'bye'): void {
    this.wanted.delete(ircLower(channel));
    if (this.isRegistered) this.enqueue(formatLine('PART', channel, reason));
  }

  /** Any other command (MODE, TOPIC, …), through flood control. */
  send(command: string, ...params: string[]): void { this.enqueue(formatLine(command, ...params)); }

  private chat(command: 'PRIVMSG' | 'NOTICE', target: string, text: string, action = false): number {
    if (!target || /[\s,\0]/.test(target)) throw new TransportError(C.CONFIG, `not an IRC target: ${JSON.stringify(target)}`, { target: this.target, retryable: false });
    // What the server will put before our text when it relays it: `:nick!user@host PRIVMSG target :`.
    const prefix = `:${this.currentNick}!${this.userHost ?? `~${(this.o.username ?? this.o.nick).slice(0, 10)}@${'x'.repeat(WORST_HOST)}`} `;
    const overhead = Buffer.byteLength(`${prefix}${command} ${target} :\r\n`) + (action ? 9 : 0);
    const pieces = splitText(text, Math.max(16, MAX_LINE_BYTES - overhead));
    for (const p of pieces) this.enqueue(formatLine(command, target, action ? `\x01ACTION ${p}\x01` : p));
    return pieces.length;
  }

  private enqueue(line: string): void {
    this.queue.push(line);
    if (this.queue.length > this.o.maxQueuedLines) {
      const n = this.queue.length - this.o.maxQueuedLines;
      this.queue.splice(0, n);
      this.dropped += n;
    }
    this.drain();
  }

  /** Sends what flood control allows now and schedules the rest. */
  private drain(): void {
    if (this.dropped) {
      const n = this.dropped;
      this.dropped = 0;
      this.emit('warning', new TransportError(C.SERVER_ERROR, `${this.target}: ${n} outgoing IRC line(s) dropped: more than maxQueuedLines (${this.o.maxQueuedLines}) were waiting (the server is unreachable or the bot says more than floodIntervalMs allows)`, { target: this.target }));
    }
    if (!this.isRegistered || !this.socket || this.timers.drain) return;
    const now = performance.now();
    this.tokens = Math.min(this.o.floodBurst, this.tokens + (now - this.lastRefill) / this.o.floodIntervalMs);
    this.lastRefill = now;
    while (this.queue.length && this.tokens >= 1) {
      this.writeNow(this.queue.shift()!);
      this.tokens -= 1;
    }
    if (this.queue.length) {
      const wait = Math.ceil((1 - this.tokens) * this.o.floodIntervalMs);
      this.timers.drain = setTimeout(() => { delete this.timers.drain; this.drain(); }, wait);
    }
  }

  private writeNow(line: string): void {
    const s = this.socket;
    if (!s || s.destroyed || !s.writable) return;
    // Lines are checked at formatLine; a line over 512 bytes here would be cut by the server.
    s.write(`${line}\r\n`);
  }

  private connect(): void {
    this.isRegistered = false;
    this.joinedSet.clear();
    this.nickTry = 0;
    this.currentNick = this.o.nick;
    this.inbuf = Buffer.alloc(0);
    this.lastReason = '';
    this.authWarned = false;
    let socket: Socket;
    try {
      socket = this.o.useSSL
        ? tlsConnect({ host: this.o.host, port: this.o.port, rejectUnauthorized: this.o.rejectUnauthorized ?? true,
          ...(isIP(this.o.host) ? {} : { servername: this.o.host }), ...(this.o.ca ? { ca: trustedCas(this.o.ca) } : {}) })
        : netConnect({ host: this.o.host, port: this.o.port });
    } catch (e) {
      // Only a bad option (an unreadable CA file) gets here: it will not get better by retrying soon.
      this.emit('warning', new TransportError(C.CONFIG, `${this.target}: ${(e as Error).message}`, { target: this.target, retryable: false, cause: e }));
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    this.timers.connect = setTimeout(() => this.drop(`no welcome from the server within ${this.o.connectTimeoutMs} ms`), this.o.connectTimeoutMs);
    socket.once(this.o.useSSL ? 'secureConnect' : 'connect', () => {
      if (this.o.password) this.writeNow(formatLine('PASS', this.o.password));
      this.writeNow(formatLine('NICK', this.currentNick));
      this.writeNow(formatLine('USER', this.o.username ?? this.o.nick, '0', '*', this.o.realname));
      this.touch();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => this.onSocketError(e));
    socket.once('close', () => this.onClose(socket));
  }

  private onSocketError(e: NodeJS.ErrnoException): void {
    const code = e.code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
      this.emit('warning', new TransportError(C.TLS, `${this.target}: the server's TLS certificate is not trusted (${code}): if it comes from a private CA, give the ca option that CA's certificate`, { target: this.target, cause: e }));
    }
    this.lastReason ||= code === 'ECONNREFUSED' ? 'connection refused (is the IRC server up? check host and port)' : `${code || 'error'}: ${e.message}`;
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    for (const k of ['connect', 'idle', 'pong', 'drain', 'stable'] as const) { clearTimeout(this.timers[k]); delete this.timers[k]; }
    const wasRegistered = this.isRegistered;
    this.isRegistered = false;
    this.joinedSet.clear();
    this.emit('disconnected', { reason: this.lastReason || (wasRegistered ? 'the server closed the connection' : 'closed before registering') });
    if (this.running) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const delayMs = backoffDelay(this.attempt, this.o.reconnect);
    this.attempt++;
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.timers.reconnect = setTimeout(() => { delete this.timers.reconnect; if (this.running) this.connect(); }, delayMs);
  }

  /** Ends this connection (the reconnect follows from 'close'). */
  private drop(reason: string): void {
    this.lastReason = reason;
    this.socket?.destroy();
  }

  /** Data arrived: the connection is alive; arm the quiet-spell PING again. */
  private touch(): void {
    clearTimeout(this.timers.pong); delete this.timers.pong;
    clearTimeout(this.timers.idle);
    this.timers.idle = setTimeout(() => {
      this.writeNow(formatLine('PING', `mastro-${Date.now()}`));
      this.timers.pong = setTimeout(() => this.drop(`no answer to PING within ${this.o.pingTimeoutMs} ms`), this.o.pingTimeoutMs);
    }, this.o.pingIntervalMs);
  }

  private onData(chunk: Buffer): void {
    this.touch();
    this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
    let nl: number;
    while ((nl = this.inbuf.indexOf(0x0a)) >= 0) {
      const raw = this.inbuf.subarray(0, nl);
      this.inbuf = this.inbuf.subarray(nl + 1);
      if (raw.length > MAX_INCOMING_BYTES) continue;
      const msg = parseLine(this.decode(raw));
      if (msg) this.onMessage(msg);
      if (!this.socket) return;
    }
    // A server that never ends its line: keep no more than one line's worth.
    if (this.inbuf.length > MAX_INCOMING_BYTES) this.inbuf = Buffer.alloc(0);
  }

  /** UTF-8, or Latin-1 for the old clients that still send it. */
  private decode(raw: Buffer): string {
    try { return this.decoder.decode(raw); } catch { return raw.toString('latin1'); }
  }

  private onMessage(m: IrcMessage): void {
    const p = m.params;
    const fromMe = ircLower(nickOf(m.prefix)) === ircLower(this.currentNick);
    switch (m.command) {
      case 'PING': this.writeNow(formatLine('PONG', p[0] ?? '')); return;
      case '001': return this.onWelcome(p);
      case '005': return this.onISupport(p);
      case '433': case '436': case '437': return this.onNickRefused(p);
      case '432': return this.onNickRefused(p, true);
      case '464': return this.passwordRefused();
      case '465':
        this.emit('warning', new TransportError(C.REFUSED, `${this.target}: the server has banned this client (${p.at(-1) ?? ''})`, { target: this.target, retryable: false }));
        return;
      case '471': case '473': case '474': case '475':
        this.emit('warning', new TransportError(C.REFUSED, `${this.target}: cannot join ${p[1] ?? '?'} (${p.at(-1) ?? m.command}): ${m.command === '475' ? 'give the channel password' : 'ask a channel operator to let the bot in'}`, { target: this.target, retryable: false }));
        return;
      case 'JOIN':
        if (fromMe && p[0]) {
          const host = m.prefix?.slice(m.prefix.indexOf('!') + 1);
          if (host && m.prefix!.includes('!')) this.userHost = host;
          this.joinedSet.add(ircLower(p[0]));
          if (!this.names.has(ircLower(p[0]))) this.names.set(ircLower(p[0]), p[0]);
          this.emit('joined', { channel: this.names.get(ircLower(p[0]))! });
        }
        return;
      case 'PART': if (fromMe && p[0]) this.joinedSet.delete(ircLower(p[0])); return;
      case 'KICK':
        if (p[1] && ircLower(p[1]) === ircLower(this.currentNick) && p[0]) {
          this.joinedSet.delete(ircLower(p[0]));
          this.emit('warning', new TransportError(C.REFUSED, `${this.target}: kicked from ${p[0]} by ${nickOf(m.prefix)} (${p[2] ?? ''})`, { target: this.target, retryable: false }));
        }
        return;
      case 'NICK':
        if (fromMe && p[0]) { this.currentNick = p[0]; this.emit('nick', { nick: p[0] }); }
        return;
      case 'ERROR':
        this.lastReason = `the server closed the link: ${p[0] ?? ''}`;
        // ngircd answers a wrong PASS with only "ERROR :Access denied: Bad password?", no 464.
        if (!this.isRegistered && /password/i.test(p[0] ?? '')) this.passwordRefused();
        return;
      case 'PRIVMSG': case 'NOTICE': return this.onChat(m, fromMe);
      default: return;
    }
  }

  private passwordRefused(): void {
    if (this.authWarned) return; // 464 and the ERROR that follows it are one refusal
    this.authWarned = true;
    this.emit('warning', new TransportError(C.AUTH, `${this.target}: the server refused the password${this.o.password ? '' : ' (none was given)'}: check the reporter's password option`, { target: this.target, retryable: false }));
  }

  private onWelcome(p: string[]): void {
    clearTimeout(this.timers.connect); delete this.timers.connect;
    this.isRegistered = true;
    if (p[0]) this.currentNick = p[0];
    // "Welcome to the Internet Relay Network nick!user@host" (RFC 2812 §5.1)
    const last = p.at(-1)?.split(' ').at(-1) ?? '';
    if (last.includes('!') && last.includes('@')) this.userHost = last.slice(last.indexOf('!') + 1);
    this.emit('registered', { nick: this.currentNick });
    for (const [lc, key] of this.wanted) {
      const name = this.names.get(lc) ?? lc;
      this.writeNow(key ? formatLine('JOIN', name, key) : formatLine('JOIN', name));
    }
    this.timers.stable = setTimeout(() => { this.attempt = 0; }, this.o.stableAfterMs);
    this.tokens = this.o.floodBurst;
    this.lastRefill = performance.now();
    this.drain();
  }

  private onISupport(p: string[]): void {
    for (const token of p.slice(1, -1)) {
      const [k, v] = token.split('=');
      if (k === 'NICKLEN' && v && /^\d+$/.test(v)) this.nickLen = Number(v);
      if (k === 'CHANTYPES' && v) this.chanTypes = v;
    }
  }

  private onNickRefused(p: string[], invalid = false): void {
    if (this.isRegistered) return; // a later NICK change failed; the current nick stays
    this.nickTry++;
    const base = this.o.nick.slice(0, Math.max(1, this.nickLen - 3));
    const next = invalid || this.nickTry > 2
      ? `${base.replace(/^[^A-Za-z[\]\\`_^{|}]+/, '') || 'mastro'}${Math.floor(100 + Math.random() * 900)}`
      : `${this.o.nick}${'_'.repeat(this.nickTry)}`.slice(0, this.nickLen);
    this.emit('warning', new TransportError(C.REFUSED, `${this.target}: the nick ${p[1] ?? this.currentNick} is ${invalid ? 'not accepted by the server' : 'in use'}; trying ${next}`, { target: this.target }));
    this.currentNick = next;
    this.writeNow(formatLine('NICK', next));
  }

  private onChat(m: IrcMessage, fromMe: boolean): void {
    const [target, text] = m.params;
    if (fromMe || target === undefined || text === undefined || !m.prefix?.includes('!')) return; // server notices have no user
    let kind: IrcChatMessage['kind'] = m.command === 'NOTICE' ? 'notice' : 'privmsg';
    let body = text;
    if (body.startsWith('\x01')) {
      const ctcp = body.replace(/^\x01|\x01$/g, '');
      if (!ctcp.startsWith('ACTION ')) return; // other CTCP queries (VERSION, PING) get no answer
      kind = 'action';
      body = ctcp.slice('ACTION '.length);
    }
    const nick = nickOf(m.prefix);
    const priv = !isChannel(target, this.chanTypes);
    const msg: IrcChatMessage = { nick, target, text: body, private: priv, kind, replyTo: priv ? nick : target };
    const uh = m.prefix.slice(m.prefix.indexOf('!') + 1);
    if (uh) msg.userHost = uh;
    this.emit('message', msg);
  }
}
