/**
 * The workers page (packages/master/ui/src/pages/workers.ts) in Debian's Chromium against a real
 * master and real mastro-worker processes: two pool workers with their own tags and a named
 * worker; the page shows each worker's pool, platform and tags, and narrows the list by pool and by
 * tags (all must match). The pending page labels a request whose builder's tags no worker has.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { workerOs } from 'mastro-protocol';
import { TestEnv, WORKER_CLI, waitUntil, type MasterProcess } from './support/master-harness.js';
import { hasChromium, launchBrowser, screenshotPath, uiBuilt, type TestBrowser } from './support/ui-browser.js';
import { startMastroWorker, type MastroWorkerProcess } from './support/workers-mastro-worker.js';

const skip = !hasChromium() ? 'Debian chromium is not installed' : !uiBuilt() ? 'the web UI is not built (npm run build)' : false;
const TOKEN = 'ui-pool-token-0123456789abcdef01';
const OS = workerOs(process.platform);

describe('the workers page in a browser', { skip }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let web: TestBrowser;
  let page: Page;
  const workers: MastroWorkerProcess[] = [];

  before(async () => {
    env = new TestEnv();
    env.writeConfig(`import { defineConfig, worker, workerPool, builder, steps, schedulers } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [worker('w0', 'pass'), workerPool({ name: 'fleet', token: ${JSON.stringify(TOKEN)}, tags: ['site=paris'] })],
  schedulers: [schedulers.force({ name: 'force', builderNames: ['gpu-only'] })],
  builders: [builder({ name: 'gpu-only', workerTags: ['gpu=h100'], steps: [steps.shell({ command: ['true'] })] })],
});
`);
    master = await env.startMaster();
    const token = join(env.root, 'fleet.token');
    writeFileSync(token, `${TOKEN}\n`);
    chmodSync(token, 0o600);
    for (const [name, tags] of [['a1', 'docker'], ['b2', 'docker,gpu=a100']] as const) {
      const dir = join(env.root, `pool-${name}`);
      execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `127.0.0.1:${master.ready.workerPort}`, '--pool', 'fleet', '--token-file', token, '--name', name, '--tags', tags]);
      workers.push(startMastroWorker(dir));
    }
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(async () => (await master.get(['workers'])).filter((w) => w.connected_to.length > 0).length === 3, 'three workers to attach', 60_000);
    web = await launchBrowser();
    page = await web.context.newPage();
    page.on('pageerror', (err) => { console.error('browser page error:', err); });
  });

  after(async () => {
    await web?.close();
    await Promise.all(workers.map((w) => w.stop()));
    await env?.cleanup();
  });

  test('each worker shows its pool, platform and tags, and the list narrows by pool and by tags', async () => {
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/workers`);
    const row = (name: string) => page.locator(`tr[data-worker="${name}"]`);
    await row('fleet/b2').waitFor();
    assert.equal(await row('fleet/b2').locator('[data-pool]').textContent(), 'fleet');
    assert.equal(await row('w0').locator('[data-pool]').textContent(), 'named');
    assert.equal(await row('fleet/b2').locator('[data-platform]').textContent(), `${OS}/${process.arch}`);
    assert.deepEqual(await row('fleet/b2').locator('[data-tags] .tag').allTextContents(), ['docker', 'gpu=a100', 'site=paris']);
    const shown = async () => (await page.locator('tr[data-worker]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-worker')))).sort();
    assert.deepEqual(await shown(), ['fleet/a1', 'fleet/b2', 'w0']);

    await page.locator('#workers-pool').selectOption('fleet');
    assert.deepEqual(await shown(), ['fleet/a1', 'fleet/b2']);
    await page.locator('#workers-tags').fill(`os=${OS} gpu=a100`);
    assert.deepEqual(await shown(), ['fleet/b2'], 'every tag typed must be on the worker');
    assert.equal(await page.locator('[data-count]').textContent(), '1 of 3 workers');
    await page.screenshot({ path: screenshotPath('ui-workers-pools') });
    await page.locator('#workers-tags').fill('');
    await page.locator('#workers-pool').selectOption({ label: 'Named workers' });
    assert.deepEqual(await shown(), ['w0']);
    // A tag chip adds itself to the filter.
    await page.locator('#workers-pool').selectOption('');
    await row('fleet/a1').locator('[data-tags] .tag', { hasText: 'docker' }).click();
    assert.deepEqual(await shown(), ['fleet/a1', 'fleet/b2']);
  });

  test('a request whose builder\'s tags no worker has is labelled with them on the pending page', async () => {
    await master.submit(['gpu-only']);
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/pending`);
    const reason = page.locator('tr[data-brid] [data-reason="no_worker_with_tags"]');
    await reason.waitFor({ timeout: 30_000 });
    assert.match(await reason.textContent() ?? '', /No worker with the tags — no worker with gpu=h100 attached/);
  });
});

describe('latent workers on the workers and pending pages', { skip }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let web: TestBrowser;
  let page: Page;

  before(async () => {
    env = new TestEnv();
    env.writeConfig(`import { defineConfig, latent, builder, steps } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [
    latent({ name: 'lw', provider: latent.local({}), idleTimeout: null }),
    latent({ name: 'cloud', provider: latent.command({ start: 'echo "quota exceeded" >&2; exit 1', stop: 'true' }), failureBackoff: { initial: 600 } }),
  ],
  builders: [
    builder({ name: 'on-lw', workerNames: ['lw'], steps: [steps.shell({ command: ['true'] })] }),
    builder({ name: 'on-cloud', workerNames: ['cloud'], steps: [steps.shell({ command: ['true'] })] }),
  ],
});
`);
    master = await env.startMaster();
    web = await launchBrowser();
    page = await web.context.newPage();
    page.on('pageerror', (err) => { console.error('browser page error:', err); });
  });

  after(async () => {
    await web?.close();
    await env?.cleanup();
  });

  test('a latent worker shows its provider and whether it runs; one whose start failed says why, on both pages', async () => {
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/workers`);
    const row = (name: string) => page.locator(`tr[data-worker="${name}"]`);
    await row('lw').waitFor();
    assert.equal(await row('lw').locator('[data-pool]').textContent(), 'latent · local');
    assert.equal(await row('lw').locator('.state').textContent(), 'not running');
    await master.submit(['on-lw']);
    await row('lw').locator('.state', { hasText: 'connected' }).waitFor({ timeout: 60_000 });
    await master.submit(['on-cloud']);
    await row('cloud').locator('[data-latent-error]').waitFor({ timeout: 60_000 });
    assert.match(await row('cloud').locator('[data-latent-error]').textContent() ?? '', /^start failed 1×: the start command exited with status 1: quota exceeded$/);
    assert.equal(await row('cloud').locator('.state').textContent(), 'not running');
    await page.screenshot({ path: screenshotPath('ui-workers-latent') });
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/pending`);
    const reason = page.locator('tr[data-brid] [data-reason="latent_provider_paused"]');
    await reason.waitFor({ timeout: 30_000 });
    assert.match(await reason.textContent() ?? '', /^Latent worker cannot start — latent worker cloud could not be started: the start command exited with status 1: quota exceeded \(1 failure in a row; trying again in \d+ s\)$/);
  });
});
