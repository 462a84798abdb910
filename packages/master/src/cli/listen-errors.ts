/**
 * What to tell a user whose master could not open its ports: which port, which config option sets
 * it, and how to find the program in the way. Node's own text ("listen EADDRINUSE: address already
 * in use :::9989") names neither the option nor a way out.
 */
import { tryLoadConfig } from '../config/load.js';

type ListenError = NodeJS.ErrnoException & { port?: number; address?: string };

/** The config options that set a listening port, and their values in the config of `dir`. */
async function portOptions(dir: string): Promise<{ file: string | null; options: Array<{ option: string; port: number; host?: string }> }> {
  const r = await tryLoadConfig(dir).catch(() => null);
  if (!r?.config) return { file: r?.file ?? null, options: [] };
  const c = r.config;
  const options: Array<{ option: string; port: number; host?: string }> = [
    { option: 'protocols.msgpack.port', port: c.protocols.msgpack.port, host: c.protocols.msgpack.host },
  ];
  if (c.protocols.pb && c.protocols.pb.port !== c.protocols.msgpack.port) options.push({ option: 'protocols.pb.port', port: c.protocols.pb.port, host: c.protocols.msgpack.host });
  if (c.www) options.push({ option: 'www.port', port: c.www.port, host: c.www.host });
  return { file: r.file, options };
}

/** A message for a failed listen (EADDRINUSE, EACCES, EADDRNOTAVAIL), or null for any other error. */
export async function describeListenError(err: unknown, dir: string): Promise<string | null> {
  const e = err as ListenError;
  // EACCES is also a file permission error: only a failed listen() is about a port.
  if (!(e?.code === 'EADDRINUSE' || (e?.syscall === 'listen' && (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL')))) return null;
  const port = typeof e.port === 'number' ? e.port : Number(/:(\d+)$/.exec(e.message ?? '')?.[1] ?? NaN);
  const { file, options } = await portOptions(dir);
  const match = options.find((o) => o.port === port);
  const where = match ? `${match.option}${file ? ` in ${file}` : ''}` : `www.port or protocols.msgpack.port${file ? ` in ${file}` : ''}`;
  const what = match?.option === 'www.port' ? 'the web UI/API port' : match?.option === 'protocols.pb.port' ? 'the PB worker port' : match ? 'the worker port' : 'a port';
  switch (e.code) {
    case 'EADDRINUSE':
      return `${what} ${port} is already in use by another program (another master?); stop that program ` +
        `(find it with: ss -ltnp 'sport = :${port}', or lsof -i :${port}) or choose another port with ${where}`;
    case 'EACCES':
      return `${what} ${port} may only be opened by root; choose a port above 1023 with ${where}`;
    default:
      return `${what} ${port} cannot be opened on ${e.address ?? 'the configured interface'}: it is not an address of this machine; ` +
        `fix ${match ? match.option.replace(/port$/, 'host') : 'www.host or protocols.msgpack.host'}${file ? ` in ${file}` : ''}`;
  }
}
