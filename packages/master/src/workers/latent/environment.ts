/**
 * What an instance is told so its worker can attach: Buildbot's latent-worker environment
 * (`worker/docker.py` createEnvironment: BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS),
 * which Buildbot's own worker images read in buildbot.tac and `mastro-worker start` reads too
 * (packages/worker/src/latent-env.ts). BUILDMASTER_PROTOCOL asks for the msgpack protocol, which a
 * Buildbot image's buildbot.tac honours as well; a provider's `env` may say `pb` instead.
 */
import type { InstanceRequest, MasterAddress } from './provider.js';

export function latentEnvironment(req: Pick<InstanceRequest, 'workerName' | 'password' | 'master'>, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    BUILDMASTER_PROTOCOL: 'msgpack_experimental_v7',
    ...extra,
    BUILDMASTER: req.master.host,
    BUILDMASTER_PORT: String(req.master.port),
    WORKERNAME: req.workerName,
    WORKERPASS: req.password,
  };
}

/**
 * A provider's `masterAddress` ('host', 'host:port', '[v6]:port') as BUILDMASTER and its port;
 * `port` fills a missing one (the master's worker port). Throws with what to write instead.
 */
export function parseMasterAddress(text: string, port: number): MasterAddress {
  if (/[\s/]/.test(text) || text === '') throw new Error(`masterAddress ${JSON.stringify(text)} is not host or host:port (Buildbot's masterFQDN, not a URL), e.g. 'ci.example.org' or '10.0.0.5:9989'`);
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? checkedPort(text, bracketed[2]) : port };
  const parts = text.split(':');
  if (parts.length > 2) return { host: text, port }; // a bare IPv6 literal
  const [host, p] = parts as [string, string?];
  if (!host) throw new Error(`masterAddress ${JSON.stringify(text)} names no host; write host or host:port, e.g. 'ci.example.org' or '10.0.0.5:9989'`);
  return { host, port: p === undefined ? port : checkedPort(text, p) };
}

function checkedPort(text: string, p: string): number {
  const n = Number(p);
  if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new Error(`masterAddress ${JSON.stringify(text)}: ${JSON.stringify(p)} is not a port number (1-65535)`);
  return n;
}

/**
 * A worker name as a file name: named workers hold only [A-Za-z0-9_.-], a latent pool's instance is
 * POOL/N, whose '/' becomes '+' (a character no worker name holds, so no two names meet).
 */
export function safeName(workerName: string): string {
  return workerName.replace(/\//g, '+');
}
