/**
 * One port for both worker protocols. A WebSocket worker opens with its HTTP upgrade request; a PB
 * client says nothing until the server has offered its banana dialects (Twisted's PB servers speak
 * first). So a connection that sends bytes within `silenceMs` goes to the HTTP server (with those
 * bytes put back), and one that stays silent that long is served as PB.
 */
import type { Socket } from 'node:net';

export interface SharedPortHandlers {
  /** The connection spoke first: hand it to the HTTP (WebSocket) server. */
  http(socket: Socket): void;
  /** The connection stayed silent: serve it as PB. */
  pb(socket: Socket): void;
}

export function sniffConnection(socket: Socket, silenceMs: number, handlers: SharedPortHandlers): void {
  let decided = false;
  const onData = (chunk: Buffer): void => {
    socket.pause();
    socket.unshift(chunk);
    decide(() => {
      handlers.http(socket);
      // Node's HTTP server reads a socket handed to it like this through the stream, once it flows.
      socket.resume();
    });
  };
  const onGone = (): void => decide(() => {});
  const timer = setTimeout(() => decide(() => {
    handlers.pb(socket);
    socket.resume();
  }), silenceMs);
  const decide = (then: () => void): void => {
    if (decided) return;
    decided = true;
    clearTimeout(timer);
    socket.pause();
    socket.off('data', onData);
    socket.off('close', onGone);
    then();
  };
  socket.on('error', () => {});
  socket.once('close', onGone);
  socket.on('data', onData);
}
