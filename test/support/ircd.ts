/**
 * A real IRC server for the IRC tests: Debian's ngircd, started by the test with its own config
 * in a temp dir on an ephemeral loopback port (and a TLS port with a certificate from test-ca.ts
 * when asked), killed and started again on the same port to test reconnects. Started as root it
 * reads its config and certificates, then drops to `nobody` by itself (it refuses to serve as root).
 *
 * `IrcTestUser` is a person in the test: a bare client written against the RFC without the
 * module under test, which registers, joins, talks, and waits for lines by predicate.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { startDaemon, stopDaemon } from './daemon.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './master-harness.js';

const NGIRCD = '/usr/sbin/ngircd';

/** Why the test server cannot run here (a skip reason), or false when it can. */
export function ircdUnavailable(): string | false {
  return existsSync(NGIRCD) ? false : 'no /usr/sbin/ngircd (apt-get install ngircd)';
}

export interface TestIrcdOptions {
  /** Also listen with TLS, with this certificate (files). */
  tls?: { certFile: string; keyFile: string };
  /** The server password clients must give (PASS). */
  password?: string;
  /** Seconds of silence before the server PINGs a client (ngircd's PingTimeout). */
  pingTimeoutS?: number;
}

export class TestIrcd {
  private child: ChildProcess | undefined;
  private constructor(readonly dir: string, readonly port: number, readonly tlsPort: number | undefined, private readonly conf: string) {}

  static async start(o: TestIrcdOptions = {}): Promise<TestIrcd> {
    const dir = mkdtempSync(join(tmpdir(), 'mastro-ircd-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'run'), { mode: 0o777 });
    chmodSync(join(dir, 'run'), 0o777);
    const port = await freePort();
    const tlsPort = o.tls ? await freePort() : undefined;
    const lines = [
      '[Global]', 'Name = irc.mastro.test', 'Info = mastro test server', 'Listen = 127.0.0.1', `Ports = ${port}`,
      `PidFile = ${join(dir, 'run', 'ngircd.pid')}`, 'MotdPhrase = "mastro test server"',
      'AdminInfo1 = mastro tests', 'AdminInfo2 = loopback', 'AdminEMail = ci@mastro.invalid',
      ...(o.password ? [`Password = ${o.password}`] : []),
      '[Limits]', `PingTimeout = ${o.pingTimeoutS ?? 120}`, 'PongTimeout = 20', 'MaxNickLength = 30',
      // Every test client comes from 127.0.0.1: the default of 5 per address would refuse some.
      'MaxConnectionsIP = 0',
      '[Options]', 'Ident = no', 'PAM = no', 'DNS = no',
    ];
    if (o.tls) {
      // Fixed, public RFC 7919 parameters: generating new ones costs seconds on a loaded machine.
      const dh = join(dir, 'dh.pem');
      execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', dh], { stdio: ['ignore', 'ignore', 'pipe'] });
      chmodSync(dh, 0o644);
      lines.push('[SSL]', `CertFile = ${o.tls.certFile}`, `KeyFile = ${o.tls.keyFile}`, `DHFile = ${dh}`, `Ports = ${tlsPort}`);
    }
    const conf = join(dir, 'ngircd.conf');
    writeFileSync(conf, `${lines.join('\n')}\n`);
    chmodSync(conf, 0o644);
    const s = new TestIrcd(dir, port, tlsPort, conf);
    await s.startAgain();
    return s;
  }

  get running(): boolean { return this.child !== undefined; }

  /** Starts ngircd (again, on the same ports) and resolves once it is ready. */
  async startAgain(): Promise<void> {
    this.child = await startDaemon({ name: 'ngircd', command: NGIRCD, args: ['-n', '-f', this.conf],
      ready: /Server "[^"]+" \(on "[^"]*"\) ready/, failed: /Can't bind socket/ });
  }

  /** Kills the server at once (SIGKILL: no goodbye to clients), as a crash or a lost host would. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    await stopDaemon(c, 'SIGKILL');
  }

  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A line from the server, split the simple way (enough for test assertions). */
export interface SeenLine { raw: string; prefix: string; command: string; params: string[] }

function split(raw: string): SeenLine {
  const m = /^(?::(\S+) )?(\S+)(.*)$/.exec(raw)!;
  const rest = m[3]!;
  const trailing = rest.indexOf(' :');
  const middle = (trailing >= 0 ? rest.slice(0, trailing) : rest).trim();
  const params = middle ? middle.split(/ +/) : [];
  if (trailing >= 0) params.push(rest.slice(trailing + 2));
  return { raw, prefix: m[1] ?? '', command: m[2]!.toUpperCase(), params };
}

export class IrcTestUser {
  readonly lines: SeenLine[] = [];
  private buf = '';
  private waiters: Array<{ pred: (l: SeenLine) => boolean; from: number; resolve: (l: SeenLine) => void }> = [];

  private constructor(private readonly socket: Socket, readonly nick: string) {}

  /** Connects, registers and waits for the welcome (001). */
  static async connect(port: number, nick: string, password?: string): Promise<IrcTestUser> {
    const socket = connect(port, '127.0.0.1');
    const u = new IrcTestUser(socket, nick);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => u.onData(d));
    socket.on('error', () => {});
    await new Promise<void>((r, j) => { socket.once('connect', () => r()); socket.once('error', j); });
    if (password) u.send(`PASS ${password}`);
    u.send(`NICK ${nick}`);
    u.send(`USER ${nick} 0 * :test user ${nick}`);
    await u.waitFor((l) => l.command === '001');
    return u;
  }

  send(line: string): void { this.socket.write(`${line}\r\n`); }

  async join(channel: string): Promise<void> {
    this.send(`JOIN ${channel}`);
    await this.waitFor((l) => l.command === '366' && l.params[1] === channel);
  }

  say(target: string, text: string): void { this.send(`PRIVMSG ${target} :${text}`); }

  /** The first line from now (or from index `from` of `lines`) that satisfies `pred`. */
  waitFor(pred: (l: SeenLine) => boolean, from = this.lines.length): Promise<SeenLine> {
    const hit = this.lines.slice(from).find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve) => this.waiters.push({ pred, from, resolve }));
  }

  /** The first `n` PRIVMSGs to `target` from `nick`, from index `from` of `lines`. */
  async messagesFrom(nick: string, target: string, n: number, from = 0): Promise<SeenLine[]> {
    const match = (l: SeenLine) => l.command === 'PRIVMSG' && l.prefix.split('!')[0] === nick && l.params[0] === target;
    let count = 0;
    await this.waitFor((l) => match(l) && ++count >= n, from);
    return this.lines.slice(from).filter(match).slice(0, n);
  }

  async quit(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((r) => this.socket.once('close', () => r()));
    this.send('QUIT :done');
    this.socket.end();
    await closed;
  }

  private onData(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const raw = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (!raw) continue;
      const line = split(raw);
      if (line.command === 'PING') this.send(`PONG :${line.params[0] ?? ''}`);
      this.lines.push(line);
      const index = this.lines.length - 1;
      for (const w of [...this.waiters]) {
        if (index >= w.from && w.pred(line)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(line); }
      }
    }
  }
}
