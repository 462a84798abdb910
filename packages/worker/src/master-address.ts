/**
 * The MASTER argument of `create-worker`: `host:port` (as buildbot-worker takes it, port 9989 when
 * left out) or a `ws://` / `wss://` URL. Checked before anything is written, so a typo is reported
 * in words (not a stack trace) and leaves no half-made worker directory behind.
 */
import { workerUrl } from 'mastro-protocol';

export class MasterAddressError extends Error {
  constructor(readonly address: string, reason: string) {
    super(`MASTER ${JSON.stringify(address)} ${reason}; give host:port (e.g. ci.example.org:9989) or a ws:// or wss:// URL`);
    this.name = 'MasterAddressError';
  }
}

/** The WebSocket URL a MASTER argument names; throws MasterAddressError when it names none. */
export function masterUrl(address: string): string {
  if (address.trim() === '' || /\s/.test(address)) throw new MasterAddressError(address, 'is empty or holds spaces');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    throw new MasterAddressError(address, 'is an HTTP address (the web UI); workers connect to the master\'s worker port over WebSocket');
  }
  if (scheme !== undefined && scheme !== 'ws' && scheme !== 'wss') throw new MasterAddressError(address, `has an unsupported scheme '${scheme}://'`);
  let url: string;
  try {
    url = workerUrl(address);
  } catch (err) {
    throw new MasterAddressError(address, `is not an address (${(err as Error).message})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MasterAddressError(address, 'is not a valid host and port (a port is 1-65535)');
  }
  if (parsed.hostname === '') throw new MasterAddressError(address, 'has no host');
  if (parsed.port === '0') throw new MasterAddressError(address, 'has port 0 (a port is 1-65535)');
  return url;
}
