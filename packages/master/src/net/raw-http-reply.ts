/**
 * A complete HTTP/1.1 answer written straight to a socket that no HTTP response object owns: a
 * refused upgrade, or a connection turned away before its request was read. The socket is ended
 * after it (`Connection: close`), so a client learns why instead of seeing a bare reset.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function rawHttpReply(socket: Duplex, status: number, body: string, options: { contentType?: string; headers?: Record<string, string> } = {}): void {
  const headers = {
    Connection: 'close', 'Content-Type': options.contentType ?? 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)),
    ...options.headers,
  };
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  socket.end(head + body);
}
