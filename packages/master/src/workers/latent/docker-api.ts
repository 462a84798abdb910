/**
 * A small client of the Docker Engine API (https://docs.docker.com/engine/api/v1.41/), just the
 * calls latent.docker needs: ping, image inspect, container list/create/start/stop/remove. Plain
 * HTTP/1.1 with node:http over the engine's unix socket (`unix:///var/run/docker.sock`) or TCP
 * (`tcp://host:2376`, with TLS client certificates as `dockerd --tlsverify` wants them), so no
 * Docker SDK is needed. Paths carry an API version (default 1.41, Docker 20.10; later engines
 * accept it) so the request and answer shapes are the documented ones.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface DockerTls { ca?: Buffer; cert?: Buffer; key?: Buffer }

export interface DockerEndpoint {
  /** The engine's unix socket; or host + port over TCP. */
  socketPath?: string;
  host?: string;
  port?: number;
  /** Present: HTTPS with these (a CA to trust, a client certificate and key). */
  tls?: DockerTls | null;
  /** The address as the config gave it, for messages. */
  text: string;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** `unix:///path`, `tcp://host:port` (or `http://`/`https://`), as DOCKER_HOST takes them. */
export function parseDockerHost(text: string, tls: DockerTls | null = null): DockerEndpoint {
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`dockerHost ${JSON.stringify(text)}: a unix socket address is unix:///absolute/path, e.g. ${DEFAULT_DOCKER_HOST}`);
    return { socketPath, tls: null, text };
  }
  const m = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(text);
  if (!m) throw new Error(`dockerHost ${JSON.stringify(text)} is not a Docker address: give unix:///var/run/docker.sock or tcp://host:2376`);
  const secure = m[1] === 'https' || (m[1] === 'tcp' && tls !== null);
  const port = m[3] ? Number(m[3]) : secure ? 2376 : 2375;
  return { host: m[2]!.replace(/^\[|\]$/g, ''), port, tls: secure ? (tls ?? {}) : null, text };
}

/** The engine answered with an error status; `message` is its own text. */
export class DockerApiError extends Error {
  constructor(readonly status: number, readonly engineMessage: string, what: string) {
    super(`${what}: the Docker engine answered ${status}: ${engineMessage}`);
    this.name = 'DockerApiError';
  }
}

/** The engine could not be reached at all (no socket, connection refused, timeout). */
export class DockerUnreachableError extends Error {
  constructor(endpoint: DockerEndpoint, cause: string) {
    super(`the Docker engine at ${endpoint.text} cannot be reached (${cause}); start dockerd, or set dockerHost to where it listens`);
    this.name = 'DockerUnreachableError';
  }
}

export interface ContainerSummary { Id: string; Names?: string[]; Labels?: Record<string, string>; State?: string }

export interface DockerClientOptions {
  /** @default '1.41' */
  apiVersion?: string;
  /** Milliseconds one API call may take. @default 60000 */
  timeoutMs?: number;
}

export class DockerClient {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(readonly endpoint: DockerEndpoint, options: DockerClientOptions = {}) {
    this.prefix = `/v${options.apiVersion ?? '1.41'}`;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** One API call; resolves with the status and the parsed JSON body (or text), whatever the status. */
  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const e = this.endpoint;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions & { ca?: Buffer; cert?: Buffer; key?: Buffer } = {
      method, path: this.prefix + path, timeout: this.timeoutMs, signal,
      // Over a socket the Host header is a placeholder (as the docker CLI sends); over TCP it is the engine's, which TLS checks the certificate against.
      headers: { ...(e.socketPath ? { Host: 'docker' } : {}), Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) },
      ...(e.socketPath ? { socketPath: e.socketPath } : { host: e.host, port: e.port }),
      ...(e.tls ? { ca: e.tls.ca, cert: e.tls.cert, key: e.tls.key } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (e.tls ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try { parsed = JSON.parse(text); } catch { /* keep the text */ }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal?.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        else {
          const text = err.message.split('\n')[0]!.trim();
          const hint = /CERTIFICATE_REQUIRED/.test(err.code ?? '') ? '; the engine wants a client certificate: give tls: { cert, key }' : '';
          reject(new DockerUnreachableError(e, `${err.code ? `${err.code}: ${text}` : text}${hint}`));
        }
      });
      req.end(payload);
    });
  }

  /** A call that must answer one of `ok` statuses; otherwise a DockerApiError naming `what`. */
  private async expect(what: string, method: string, path: string, ok: number[], body?: unknown, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    const res = await this.call(method, path, body, signal);
    if (!ok.includes(res.status)) throw new DockerApiError(res.status, engineMessage(res.body), what);
    return res;
  }

  async ping(): Promise<void> {
    await this.expect('ping', 'GET', '/_ping', [200]);
  }

  async imageExists(image: string): Promise<boolean> {
    const res = await this.expect(`inspecting image ${image}`, 'GET', `/images/${encodeURIComponent(image)}/json`, [200, 404]);
    return res.status === 200;
  }

  /** Containers, stopped ones too, having every label of `labels` (`key=value` or `key`). */
  async listContainers(labels: string[]): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    const res = await this.expect('listing containers', 'GET', `/containers/json?all=true&filters=${filters}`, [200]);
    return Array.isArray(res.body) ? (res.body as ContainerSummary[]) : [];
  }

  /** Creates a container; resolves with its id. */
  async createContainer(name: string, spec: Record<string, unknown>, signal?: AbortSignal): Promise<string> {
    const res = await this.expect(`creating container ${name}`, 'POST', `/containers/create?name=${encodeURIComponent(name)}`, [201], spec, signal);
    const id = (res.body as { Id?: unknown }).Id;
    if (typeof id !== 'string') throw new DockerApiError(res.status, 'the answer carried no container Id', `creating container ${name}`);
    return id;
  }

  async startContainer(id: string, signal?: AbortSignal): Promise<void> {
    // 304: already started.
    await this.expect(`starting container ${id.slice(0, 12)}`, 'POST', `/containers/${id}/start`, [204, 304], undefined, signal);
  }

  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`); a container already stopped or gone is fine. */
  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.expect(`stopping container ${id.slice(0, 12)}`, 'POST', `/containers/${id}/stop?t=${Math.max(0, Math.round(graceSeconds))}`, [204, 304, 404]);
  }

  /** Removes a container with its anonymous volumes, running or not; one already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    // 409: a removal of this container is already in progress (a second stop of the same instance).
    await this.expect(`removing container ${id.slice(0, 12)}`, 'DELETE', `/containers/${id}?force=true&v=true`, [204, 404, 409]);
  }
}

function engineMessage(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return typeof body === 'string' && body ? body.slice(0, 500) : '(no message)';
}
