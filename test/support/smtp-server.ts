/**
 * A real SMTP server for the mail tests (the `smtp-server` package: the SMTP state machine, STARTTLS,
 * implicit TLS and AUTH of a production relay), on loopback with an ephemeral port. Each mail it
 * takes is parsed (`mailparser`) and kept with its envelope; `waitForMessages(n)` resolves once n
 * arrived. It can require a login, refuse chosen recipients with 550, defer every mail with a 451,
 * or offer no STARTTLS, to drive the transport's error paths.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The logged-in user, when there was a login. */
  user?: string;
  /** Whether the mail came over TLS (STARTTLS or implicit). */
  secure: boolean;
  parsed: ParsedMail;
  raw: string;
}

export interface TestSmtpServerOptions {
  /** Require this login (offered only over TLS, as real relays do). */
  auth?: { user: string; password: string };
  /** The certificate for STARTTLS / implicit TLS (from test-ca.ts). Without it STARTTLS is not offered. */
  tls?: { cert: string; key: string };
  /** Implicit TLS from the first byte (SMTPS). */
  implicitTls?: boolean;
  /** Recipients refused at RCPT TO with 550. */
  refuseRecipients?: readonly string[];
  /** Answer every mail's DATA with this temporary failure (451) instead of taking it. */
  deferAll?: boolean;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Logins refused, as `user` (for asserting that one was tried). */
  refusedLogins: string[];
  waitForMessages(n: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpServer(o: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const refusedLogins: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const options: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    secure: o.implicitTls === true,
    ...(o.tls ? { cert: o.tls.cert, key: o.tls.key } : {}),
    disabledCommands: [...(o.auth ? [] : ['AUTH']), ...(o.tls ? [] : ['STARTTLS'])],
    authOptional: !o.auth,
    onAuth(auth, _session, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.password) cb(null, { user: auth.username });
      else { refusedLogins.push(auth.username ?? ''); cb(smtpError('Invalid username or password', 535)); }
    },
    onRcptTo(address, _session, cb) {
      if (o.refuseRecipients?.includes(address.address)) cb(smtpError(`<${address.address}>: Recipient address rejected: User unknown`, 550));
      else cb();
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        if (o.deferAll) { cb(smtpError('Requested action aborted: local error in processing, try again later', 451)); return; }
        const raw = Buffer.concat(parts).toString('utf8');
        simpleParser(raw).then((parsed) => {
          const from = session.envelope.mailFrom;
          const mail: ReceivedMail = {
            envelope: { from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
            secure: session.secure,
            parsed,
            raw,
          };
          if (session.user !== undefined) mail.user = String(session.user);
          messages.push(mail);
          for (const w of waiters.filter((x) => messages.length >= x.n)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
          cb();
        }, (e: Error) => cb(e));
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => { /* a client's broken connection; the test sees its own side */ });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    refusedLogins,
    waitForMessages: (n) => messages.length >= n
      ? Promise.resolve(messages.slice(0, n))
      : new Promise((resolve) => waiters.push({ n, resolve: () => resolve(messages.slice(0, n)) })),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
