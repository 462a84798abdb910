/**
 * The Reporters page of the web UI in Debian's Chromium, against a real master whose two
 * httpStatusPush reporters post to real HTTP servers on loopback: one answers, one fails with 503.
 * The page lists both with their counts, the failing one with its last error; /api/v2/reporters
 * answers the same in Buildbot's envelope.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { hasChromium, launchBrowser, screenshotPath, uiBuilt, type TestBrowser } from './support/ui-browser.js';
import { Standin, type ServiceSpec } from '../packages/master/test/support/standins/http-standin.js';

const skip = !hasChromium() ? 'Debian chromium is not installed' : !uiBuilt() ? 'the web UI is not built (npm run build)' : false;

const receiver: ServiceSpec = {
  name: 'dashboard', handle: () => ({ status: 200, body: {} }),
  serverError: (status) => ({ status, body: { message: 'dashboard is in maintenance' } }), rateLimited: () => ({ status: 429 }),
};

describe('the Reporters page in a browser', { skip }, () => {
  let env: TestEnv; let master: MasterProcess; let web: TestBrowser; let page: Page;
  let ok: Standin; let down: Standin;

  before(async () => {
    ok = await Standin.start(receiver);
    down = await Standin.start(receiver);
    down.failNext(1_000_000, 503);
    env = new TestEnv();
    env.writeConfig(`import { defineConfig, worker, builder, steps, reporters, generators } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [worker('w0', 'pass')],
  builders: [builder({ name: 'b', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] })],
  reporters: [
    reporters.httpStatusPush({ name: 'dashboard', url: '${ok.url}/s', generators: [generators.buildStartEnd()] }),
    reporters.httpStatusPush({ name: 'broken', url: '${down.url}/s', generators: [generators.buildStartEnd()] }),
  ],
  reportDelivery: { retryInitialDelay: 0.5, retryMaxDelay: 2 },
});
`);
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    await master.submit(['b']);
    await waitUntil(async () => {
      const r = Object.fromEntries((await master.get(['reporters'])).map((x) => [x.name, x]));
      return r.dashboard?.delivered === 2 && r.broken?.failing > 0;
    }, 'one reporter delivering, the other failing', 60_000);
    web = await launchBrowser();
    page = await web.context.newPage();
  });

  after(async () => {
    await web?.close();
    await env?.cleanup();
    await ok?.close();
    await down?.close();
  });

  test('/api/v2/reporters lists each reporter with its counts and last error', async () => {
    const res = await fetch(`http://127.0.0.1:${master.ready.httpPort}/api/v2/reporters`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { reporters: any[]; meta: { total: number } };
    assert.equal(body.meta.total, 2);
    const broken = body.reporters.find((r) => r.name === 'broken');
    assert.equal(broken.kind, 'httpStatusPush');
    assert.equal(broken.delivered, 0);
    assert.ok(broken.pending >= 1 && broken.failing >= 1);
    assert.match(broken.last_error, /HTTP 503: dashboard is in maintenance; the service failed; it will be retried/);
    const one = (await (await fetch(`http://127.0.0.1:${master.ready.httpPort}/api/v2/reporters/dashboard`)).json()) as { reporters: any[] };
    assert.equal(one.reporters[0].delivered, 2);
    assert.ok(one.reporters[0].last_delivered_at > 0);
  });

  test('the page shows the delivering reporter as ok and the failing one with its last error', async () => {
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/reporters`);
    const ok = page.locator('tr[data-reporter="dashboard"]');
    await ok.waitFor();
    assert.equal(await ok.locator('td[data-count="delivered"]').textContent(), '2');
    assert.equal(await ok.locator('.state').textContent(), 'ok');
    const broken = page.locator('tr[data-reporter="broken"]');
    assert.equal(await broken.locator('.state').textContent(), 'failing');
    assert.equal(await broken.locator('td[data-count="delivered"]').textContent(), '0');
    assert.match(String(await broken.locator('.reporter-error').textContent()), /HTTP 503: dashboard is in maintenance/);
    assert.equal(await page.getByRole('link', { name: 'Reporters' }).getAttribute('aria-current'), 'page');
    await page.screenshot({ path: screenshotPath('ui-reporters') });
  });
});
