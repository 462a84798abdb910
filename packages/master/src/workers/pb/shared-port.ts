/**
 * One port for the WebSocket protocol (HTTP) and PB. An HTTP client (a WebSocket worker's upgrade,
 * `mastro try`) writes its request as soon as it is connected; a PB client says nothing until the
 * server has offered its banana dialects (Twisted's PB servers speak first). So:
 *  - a connection that sends bytes within `silenceMs` goes to the HTTP server, with those bytes put
 *    back (the HTTP server's own header timeout then applies to it);
 *  - one that stays silent that long is greeted as PB (the dialect offer is written) and, once it
 *    answers, handed to the PB broker with its answer;
 *  - one that answers the greeting with an HTTP request line (a slow HTTP client, taken for PB) gets
 *    a plain-text 400 that says why and what to do, and is closed: its request is not lost silently;
 *  - one that stays silent after the greeting for `handshakeTimeoutMs` is closed, as PB's own
 *    handshake timeout would.
 */
import type { Socket } from 'node:net';
import { pb } from 'mastro-protocol';
import { rawHttpReply } from '../../net/raw-http-reply.js';

export interface SharedPortOptions {
  /** How long a new connection may stay silent before it is greeted as PB. */
  silenceMs: number;
  /** How long a greeted connection has to answer before it is closed. */
  handshakeTimeoutMs: number;
  /** The option a user changes to give slow HTTP clients more time, named in the 400 (`protocols.pb.silenceMs`). */
  silenceOption: string;
}

export interface SharedPortHandlers {
  /** The connection spoke first: hand it to the HTTP server. */
  http(socket: Socket): void;
  /**
   * The connection stayed silent, was greeted, and answered with bytes that are not HTTP: serve it
   * as PB (the offer is already written; `firstBytes` are its answer, `remainingMs` what is left of the handshake time).
   */
  pb(socket: Socket, firstBytes: Buffer, remainingMs: number): void;
  /** The connection answered the PB greeting with an HTTP request (it was answered 400 and closed). */
  lateHttp?(socket: Socket, requestLine: string): void;
}

/** An HTTP request line starts with a method in capitals; a PB client's first byte is a banana header digit of its dialect choice (2 or 4). */
function looksLikeHttp(chunk: Buffer): boolean {
  const first = chunk[0]!;
  return first >= 0x41 && first <= 0x5a;
}

export function sniffConnection(socket: Socket, options: SharedPortOptions, handlers: SharedPortHandlers): void {
  let stage: 'silent' | 'greeted' | 'done' = 'silent';
  let greetedAt = 0;
  let timer: NodeJS.Timeout;
  const done = (): void => {
    stage = 'done';
    clearTimeout(timer);
    socket.pause();
    socket.off('data', onData);
    socket.off('close', onGone);
  };
  const onData = (chunk: Buffer): void => {
    if (stage === 'silent') {
      done();
      socket.unshift(chunk);
      handlers.http(socket);
      // Node's HTTP server reads a socket handed to it like this through the stream, once it flows.
      socket.resume();
      return;
    }
    if (stage !== 'greeted') return;
    done();
    if (looksLikeHttp(chunk)) {
      const requestLine = chunk.toString('latin1').split('\r\n', 1)[0]!.slice(0, 200);
      rawHttpReply(socket, 400, `this port serves Buildbot's PB protocol and WebSocket workers; your client sent nothing for ${options.silenceMs} ms after connecting, `
        + `so it was taken for a PB client (PB clients wait for the server to speak first). Send the request as soon as the connection opens, `
        + `or raise ${options.silenceOption}.\n`);
      setTimeout(() => socket.destroy(), 1_000).unref();
      handlers.lateHttp?.(socket, requestLine);
      return;
    }
    handlers.pb(socket, chunk, Math.max(1, options.handshakeTimeoutMs - (Date.now() - greetedAt)));
    socket.resume();
  };
  const onGone = (): void => done();
  const greet = (): void => {
    if (stage !== 'silent') return;
    stage = 'greeted';
    greetedAt = Date.now();
    socket.write(pb.dialectOffer());
    timer = setTimeout(() => { done(); socket.destroy(); }, options.handshakeTimeoutMs);
  };
  // After a stall of the event loop the timer runs before the bytes that came meanwhile are read
  // (timers come first in a loop turn); greeting from setImmediate lets that turn read them first,
  // so an HTTP client that spoke in time is never taken for PB because the master was busy.
  timer = setTimeout(() => setImmediate(greet), options.silenceMs);
  socket.on('error', () => {});
  socket.once('close', onGone);
  socket.on('data', onData);
}
