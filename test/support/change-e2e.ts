/**
 * Helpers for end-to-end tests of change sources and schedulers on a real master: reading a
 * builder's builds with their source properties, waiting for finished builds, posting to the
 * master's change hooks, and committing to real git repositories.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, waitUntil, type MasterProcess, type TestEnv } from './master-harness.js';
import type { MastroApi } from './config.js';

export const HOOK_FIXTURES = join(ROOT, 'packages/master/test/fixtures/hooks');

/** A payload recorded from a forge's documentation (packages/master/test/fixtures/hooks). */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(join(HOOK_FIXTURES, `${name}.json`), 'utf8'));
}

export interface BuildSummary {
  buildid: number; number: number; buildsetid: number; complete: boolean; results: number | null;
  branch: string | null; revision: string | null; gotRevision: unknown; properties: Record<string, [unknown, string]>;
}

/** The builds of a builder, oldest first, with the properties tests look at. */
export async function buildsOf(master: MasterProcess, builder: string): Promise<BuildSummary[]> {
  const [b] = await master.get(['builders', builder]);
  const r = await master.call('get', { path: ['builders', b.builderid, 'builds'], spec: { properties: ['*'] } });
  const requests = new Map<number, number>();
  for (const br of await master.get(['buildrequests'])) requests.set(br.buildrequestid, br.buildsetid);
  return (r.items as any[]).sort((x, y) => x.number - y.number).map((x) => ({
    buildid: x.buildid, number: x.number, complete: x.complete, results: x.results,
    buildsetid: requests.get(x.buildrequestid) ?? -1,
    branch: x.properties.branch?.[0] ?? null, revision: x.properties.revision?.[0] ?? null,
    gotRevision: x.properties.got_revision?.[0] ?? null, properties: x.properties,
  }));
}

/** Waits until a builder has at least `n` builds and the first `n` are finished. */
export function finishedBuilds(master: MasterProcess, builder: string, n: number, timeoutMs = 60_000): Promise<BuildSummary[]> {
  return waitUntil(async () => {
    const b = await buildsOf(master, builder);
    return b.length >= n && b.slice(0, n).every((x) => x.complete) ? b : null;
  }, `${n} finished builds of ${builder}`, timeoutMs);
}

/** How many buildsets the master holds (tests run their steps one after the other). */
export async function buildsetCount(master: MasterProcess): Promise<number> {
  return (await master.get(['buildsets'])).length;
}

export async function changeCount(master: MasterProcess): Promise<number> {
  return (await master.get(['changes'])).length;
}

export interface HookAnswer { status: number; body: any }

/** POSTs a JSON webhook body (exact bytes given) to /change_hook/<dialect>. */
export async function postJson(httpPort: number, dialect: string, body: string, headers: Record<string, string> = {}, query = ''): Promise<HookAnswer> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/change_hook/${dialect}${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* keep the text */ }
  return { status: res.status, body: parsed };
}

/** GitHub's signature header value for a body and secret. */
export function hubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs Buildbot's base form fields (`files` and `properties` JSON-encoded) to /change_hook/base. */
export async function postBaseChange(httpPort: number, fields: Record<string, string | string[] | Record<string, unknown>>): Promise<HookAnswer> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) form.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const res = await fetch(`http://127.0.0.1:${httpPort}/change_hook/base`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(),
  });
  const text = await res.text();
  // Buildbot's base hook answers 200 "1 change found" (it means 202 but writes the body first).
  if (res.status !== 200) throw new Error(`base hook answered ${res.status}: ${text}`);
  return { status: res.status, body: text };
}

/** A non-bare git repository under the test root, on branch main, with one commit per file map. */
export function initRepo(env: TestEnv, name: string): string {
  const dir = join(env.root, name);
  mkdirSync(dir, { recursive: true });
  env.git(dir, 'init', '-q', '-b', 'main');
  return dir;
}

/** Writes files, commits them with `message`, returns the new revision. */
export function commitFiles(env: TestEnv, repo: string, files: Record<string, string>, message: string): string {
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    writeFileSync(join(repo, f), content);
  }
  env.git(repo, 'add', '.');
  env.git(repo, 'commit', '-q', '-m', message);
  return env.git(repo, 'rev-parse', 'HEAD');
}

/**
 * A builder that checks out the build's SourceStamp from `repourl` (full clone, so refs/pull/..,
 * refs/changes/.. and every branch are reachable) and runs `sh check.sh` from the checkout. A config
 * helper (support/config.ts): pass it as `{ checkoutBuilder }` with the config that calls it.
 */
export function checkoutBuilder(m: MastroApi, name: string, repourl: string, worker = 'w0') {
  return m.builder({ name, workerNames: [worker], collapseRequests: false, steps: [
    m.steps.git({ repourl, mode: 'full', method: 'clobber' }),
    m.steps.shell({ name: 'check', command: ['sh', 'check.sh'], haltOnFailure: true }),
  ] });
}

/** checkoutBuilder as config source text, for the tests that write their config as a template string. */
export function checkoutBuilderSource(name: string, repourl: string, worker = 'w0'): string {
  return `builder({ name: ${JSON.stringify(name)}, workerNames: [${JSON.stringify(worker)}], collapseRequests: false, steps: [
      steps.git({ repourl: ${JSON.stringify(repourl)}, mode: 'full', method: 'clobber' }),
      steps.shell({ name: 'check', command: ['sh', 'check.sh'], haltOnFailure: true }),
    ] })`;
}

