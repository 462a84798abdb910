/**
 * latent.docker's Engine API calls (workers/latent/docker.ts, docker-api.ts) against a local
 * stand-in of the Docker Engine API that checks the documented request shapes
 * (https://docs.docker.com/engine/api/v1.41/): over TCP with TLS client certificates, as
 * `dockerd --tlsverify` wants them, and over a unix socket. The real engine is exercised by
 * test/latent-docker-e2e.test.ts; these cover what it does not: TLS, and the engine's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCa } from './support/test-ca.js';
import { DockerProvider, dockerKind, type DockerProviderSpec } from '../src/workers/latent/docker.js';
import { LatentStartError } from '../src/workers/latent/provider.js';

interface Seen { method: string; path: string; query: URLSearchParams; body: any; clientCert: boolean }

/** The Engine API as far as latent.docker uses it, with containers kept in memory. */
function engine(options: { images: string[]; failCreate?: string }) {
  const seen: Seen[] = [];
  const containers = new Map<string, { Id: string; Names: string[]; Labels: Record<string, string>; State: string }>();
  let next = 1;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      const url = new URL(req.url!, 'http://docker');
      const body = raw ? JSON.parse(raw) : undefined;
      const socket = req.socket as { getPeerCertificate?: () => { subject?: unknown } };
      seen.push({ method: req.method!, path: url.pathname, query: url.searchParams, body, clientCert: !!socket.getPeerCertificate?.()?.subject });
      const json = (status: number, value: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(value)); };
      const m = /^\/v1\.41(\/.*)$/.exec(url.pathname);
      if (!m) return json(400, { message: `unversioned path ${url.pathname}` });
      const path = m[1]!;
      let hit: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/_ping') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('OK'); return; }
      if (req.method === 'GET' && (hit = /^\/images\/(.+)\/json$/.exec(path))) {
        const image = decodeURIComponent(hit[1]!);
        return options.images.includes(image) ? json(200, { Id: 'sha256:abc', RepoTags: [image] }) : json(404, { message: `No such image: ${image}` });
      }
      if (req.method === 'GET' && path === '/containers/json') {
        const wanted = (JSON.parse(url.searchParams.get('filters') ?? '{}').label ?? []) as string[];
        return json(200, [...containers.values()].filter((c) => wanted.every((l) => { const [k, v] = l.split('='); return v === undefined ? k! in c.Labels : c.Labels[k!] === v; })));
      }
      if (req.method === 'POST' && path === '/containers/create') {
        if (options.failCreate) return json(500, { message: options.failCreate });
        const name = url.searchParams.get('name')!;
        if ([...containers.values()].some((c) => c.Names.includes(`/${name}`))) return json(409, { message: `Conflict. The container name "/${name}" is already in use` });
        const Id = `${String(next++).padStart(4, '0')}${'f'.repeat(60)}`;
        containers.set(Id, { Id, Names: [`/${name}`], Labels: body.Labels, State: 'created' });
        return json(201, { Id, Warnings: [] });
      }
      if ((hit = /^\/containers\/([0-9a-f]+)(\/start|\/stop)?$/.exec(path))) {
        const c = containers.get(hit[1]!);
        if (!c) return json(404, { message: `No such container: ${hit[1]}` });
        if (req.method === 'POST' && hit[2] === '/start') { c.State = 'running'; res.writeHead(204); res.end(); return; }
        if (req.method === 'POST' && hit[2] === '/stop') { c.State = 'exited'; res.writeHead(204); res.end(); return; }
        if (req.method === 'DELETE' && !hit[2]) { containers.delete(c.Id); res.writeHead(204); res.end(); return; }
      }
      json(404, { message: `page not found: ${req.method} ${path}` });
    });
  };
  return { seen, containers, handler };
}

const listen = (server: Server, at: number | string) => new Promise<void>((resolve) => server.listen(at as number, '127.0.0.1', () => resolve()));
const listenSocket = (server: Server, path: string) => new Promise<void>((resolve) => server.listen(path, () => resolve()));
const close = (server: Server) => new Promise<void>((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); });

function spec(o: Partial<DockerProviderSpec>): DockerProviderSpec {
  const filled = { kind: 'docker', image: 'ci-worker:1', dockerHost: null, tls: null, volumes: [], hostConfig: {}, network: null, env: {}, command: null, hostname: null, stopTimeout: 10, apiTimeout: 60, ...o } as DockerProviderSpec;
  assert.deepEqual(dockerKind.check!(filled), []);
  return filled;
}

const log = { info() {}, warn() {}, error() {} };
const request = (workerName: string) => ({ workerName, password: 'pw-1', master: { host: 'ci.example.org', port: 9989 }, build: null, signal: new AbortController().signal });

test('over TCP with TLS client certificates: the container gets the latent-worker environment, the labels, the mounts and the network; stop removes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-docker-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeTestCa(dir);
  // A client certificate signed by the same CA, as `dockerd --tlsverify` clients have.
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=mastro');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext');
  const e = engine({ images: ['ci-worker:1'] });
  const server = createHttpsServer({ cert: ca.cert, key: ca.key, ca: ca.caPem, requestCert: true, rejectUnauthorized: true }, e.handler);
  await listen(server, 0);
  t.after(() => close(server));
  const port = (server.address() as { port: number }).port;
  const provider = new DockerProvider(spec({
    dockerHost: `tcp://127.0.0.1:${port}`, tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' },
    volumes: ['/srv/cache:/cache:ro'], network: 'host', hostConfig: { Memory: 1 << 30 }, env: { CI: '1', WORKERPASS: 'not this' }, command: ['/start.sh'],
  }), { masterName: 'ci-master:/srv/master', masterDir: dir, owner: 'dock', log });

  assert.deepEqual(await provider.health(), { ok: true, message: `the Docker engine at tcp://127.0.0.1:${port} answers` });
  const instance = await provider.startInstance(request('dock/1'));
  const create = e.seen.find((s) => s.path === '/v1.41/containers/create')!;
  assert.equal(create.query.get('name'), provider.containerName('dock/1'));
  assert.match(provider.containerName('dock/1'), /^mastro-dock-1-[0-9a-f]{8}$/);
  assert.notEqual(provider.containerName('dock/1'), provider.containerName('dock-1'), 'names of different workers never meet');
  assert.deepEqual(create.body, {
    Image: 'ci-worker:1',
    Env: ['BUILDMASTER_PROTOCOL=msgpack_experimental_v7', 'CI=1', 'WORKERPASS=pw-1', 'BUILDMASTER=ci.example.org', 'BUILDMASTER_PORT=9989', 'WORKERNAME=dock/1'],
    Labels: { 'org.mastro.master': 'ci-master:/srv/master', 'org.mastro.worker': 'dock/1' },
    HostConfig: { Init: true, Memory: 1 << 30, Binds: ['/srv/cache:/cache:ro'], NetworkMode: 'host' },
    Cmd: ['/start.sh'],
  });
  assert.ok(e.seen.every((s) => s.clientCert), 'every call presented the client certificate');
  assert.deepEqual(e.seen.map((s) => `${s.method} ${s.path}`), [
    'GET /v1.41/_ping', 'GET /v1.41/images/ci-worker%3A1/json', 'GET /v1.41/containers/json', 'POST /v1.41/containers/create', `POST /v1.41/containers/${instance.id}/start`,
  ]);
  assert.deepEqual(JSON.parse(e.seen[2]!.query.get('filters')!), { label: ['org.mastro.master=ci-master:/srv/master', 'org.mastro.worker=dock/1'] });
  assert.deepEqual(await provider.listInstances(), [{ id: instance.id, workerName: 'dock/1' }]);
  await provider.stopInstance(instance, { fast: false });
  assert.deepEqual(e.seen.slice(-2).map((s) => `${s.method} ${s.path}?${s.query}`), [
    `POST /v1.41/containers/${instance.id}/stop?t=10`, `DELETE /v1.41/containers/${instance.id}?force=true&v=true`,
  ]);
  assert.equal(e.containers.size, 0);
  await provider.stopInstance(instance, { fast: true });
  assert.equal(e.seen.at(-1)!.method, 'DELETE', 'a second stop of a removed container is fine (404)');

  // Without the client certificate the engine refuses the connection: health says so.
  const noCert = new DockerProvider(spec({ dockerHost: `tcp://127.0.0.1:${port}`, tls: { ca: 'ca.pem' } }), { masterName: 'm', masterDir: dir, owner: 'x', log });
  const refused = await noCert.health();
  assert.equal(refused.ok, false);
  assert.match(refused.message, new RegExp(`^the Docker engine at tcp://127\\.0\\.0\\.1:${port} cannot be reached \\(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .+; the engine wants a client certificate: give tls: \\{ cert, key \\}\\); start dockerd, or set dockerHost to where it listens$`));
});

test('over a unix socket: a missing image, an engine error and a container left from before are each handled and said', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-docker-sock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'docker.sock');
  const e = engine({ images: ['ci-worker:1'] });
  const server = createHttpServer(e.handler);
  await listenSocket(server, socketPath);
  t.after(() => close(server));
  const ctx = { masterName: 'm1', masterDir: dir, owner: 'd1', log };
  const missing = new DockerProvider(spec({ dockerHost: `unix://${socketPath}`, image: 'nope:2' }), ctx);
  await assert.rejects(missing.startInstance(request('d1')), (err: Error) => err instanceof LatentStartError &&
    err.reason === `image nope:2 is not on the Docker engine at unix://${socketPath}; mastro does not pull images: build, pull or load it there first (docker pull nope:2)`);
  assert.equal(e.seen.filter((s) => s.path.includes('/containers/create')).length, 0, 'nothing was created');

  const provider = new DockerProvider(spec({ dockerHost: `unix://${socketPath}` }), ctx);
  const first = await provider.startInstance(request('d1'));
  // The master was killed: the next start of d1 removes the container left from before, then makes its own.
  const second = await provider.startInstance(request('d1'));
  assert.notEqual(first.id, second.id);
  assert.deepEqual([...e.containers.keys()], [second.id]);
  assert.ok(e.seen.some((s) => s.method === 'DELETE' && s.path.endsWith(`/containers/${first.id}`)));
  // Another master's containers are not this master's.
  const other = new DockerProvider(spec({ dockerHost: `unix://${socketPath}` }), { ...ctx, masterName: 'm2' });
  assert.deepEqual(await other.listInstances(), []);
  assert.deepEqual(await provider.listInstances(), [{ id: second.id, workerName: 'd1' }]);

  const failing = engine({ images: ['ci-worker:1'], failCreate: 'no space left on device' });
  const server2 = createHttpServer(failing.handler);
  const socket2 = join(dir, 'docker2.sock');
  await listenSocket(server2, socket2);
  t.after(() => close(server2));
  await assert.rejects(new DockerProvider(spec({ dockerHost: `unix://${socket2}` }), ctx).startInstance(request('d1')),
    (err: Error) => /^creating container mastro-d1-[0-9a-f]{8}: the Docker engine answered 500: no space left on device$/.test(err.message));

  const gone = new DockerProvider(spec({ dockerHost: `unix://${join(dir, 'no-such.sock')}` }), ctx);
  const h = await gone.health();
  assert.equal(h.ok, false);
  assert.match(h.message, /^the Docker engine at unix:\/\/.*no-such\.sock cannot be reached \(ENOENT: .*\); start dockerd, or set dockerHost to where it listens$/);
});

test('dockerHost is checked when the config is read', () => {
  const check = (dockerHost: string) => dockerKind.check!({ ...spec({}), dockerHost });
  assert.deepEqual(check('unix:///var/run/docker.sock'), []);
  assert.deepEqual(check('tcp://10.0.0.2:2376'), []);
  assert.deepEqual(check('unix://var/run/docker.sock'), [{ key: 'dockerHost', message: 'a unix socket address is unix:///absolute/path, e.g. unix:///var/run/docker.sock' }]);
  assert.deepEqual(check('docker.example.org'), [{ key: 'dockerHost', message: 'is not a Docker address: give unix:///var/run/docker.sock or tcp://host:2376' }]);
});
