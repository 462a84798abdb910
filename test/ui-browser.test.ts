/**
 * The web UI in Debian's Chromium against a real master process and a real mastro-worker:
 * logging in and out, forcing a build from the generated form, a log streaming live while its
 * step runs, stopping a build, a pending request's reason, and the build page on a narrow screen.
 * Screenshots land in test-results/.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { hasChromium, launchBrowser, screenshotPath, uiBuilt, type TestBrowser } from './support/ui-browser.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';

const skip = !hasChromium() ? 'Debian chromium is not installed' : !uiBuilt() ? 'the web UI is not built (npm run build)' : false;

describe('web UI in a browser', { skip }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let web: TestBrowser;
  let page: Page;
  let base: string;
  let releaseDir: string;

  const builds = (builder: string) => master.get(['builders', builder, 'builds']);

  before(async () => {
    env = new TestEnv();
    releaseDir = join(env.root, 'release');
    mkdirSync(releaseDir);
    // 25 coloured lines over ~2.5 s, then the step waits until the test releases that build.
    const script = `for i in $(seq 1 25); do printf '\\033[32mline %s is green\\033[0m and \\033[1;31mbold red\\033[0m\\n' $i; sleep 0.1; done; `
      + `while [ ! -f ${releaseDir}/$BUILD ]; do sleep 0.05; done; echo released`;
    env.writeConfig({ script }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, host: '127.0.0.1' },
      workers: [m.worker('w0', 'pass', { maxBuilds: 4 }), m.worker('ghost', 'pass')],
      schedulers: [m.schedulers.force({ name: 'force', builderNames: ['stream', 'orphan'] })],
      builders: [
        m.builder({ name: 'stream', workerNames: ['w0'], collapseRequests: false, steps: [
          m.steps.shell({ name: 'print', command: ['sh', '-c', v.script], env: { BUILD: m.util.Interpolate('%(prop:buildnumber)s') } }),
        ] }),
        m.builder({ name: 'orphan', workerNames: ['ghost'], steps: [m.steps.shell({ name: 'never', command: ['true'] })] }),
      ],
    }));
    await new UsersStore(env.masterDir).add('alice', 'wonderland-42', ['admin']);
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    await waitUntil(async () => (await master.get(['workers', 'w0']))[0]?.connected_to.length > 0, 'worker w0 to connect');
    base = `http://127.0.0.1:${master.ready.httpPort}`;
    web = await launchBrowser();
    page = await web.context.newPage();
    page.on('pageerror', (err) => { console.error('browser page error:', err); });
  });

  after(async () => {
    await web?.close();
    await env?.cleanup();
  });

  test('an anonymous visitor sees the builders, and logs in through the form', async () => {
    await page.goto(`${base}/`);
    await page.locator('tr[data-builder="stream"]').waitFor();
    assert.equal(await page.locator('tr[data-builder="orphan"] th a').textContent(), 'orphan');
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(/Login failed/).waitFor();
    await page.getByLabel('Password').fill('wonderland-42');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#user', { hasText: 'alice' }).waitFor();
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    await page.screenshot({ path: screenshotPath('ui-builders-logged-in') });
  });

  test('forcing a build from the generated form streams its log live before the build ends', async () => {
    await page.goto(`${base}/#/builders`);
    await page.locator('tr[data-builder="stream"] th a').click();
    await page.locator('button[data-force="force"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/reason/i).fill('from the browser test');
    await page.screenshot({ path: screenshotPath('ui-force-form') });
    await dialog.getByRole('button').last().click();
    await page.getByText('Build requested.').waitFor();
    // The new build shows up in the builder's list through /ws; open it.
    const link = page.locator('tr[data-build="1"] a');
    await link.waitFor({ timeout: 30_000 });
    await link.click();
    const log = page.locator('.log-view[data-log="stdio"] .log-scroller');
    await log.waitFor({ timeout: 30_000 });
    await log.getByText('line 3 is green').waitFor({ timeout: 30_000 });
    // The build is still running (it waits for its release file) while lines are on screen.
    const [running] = await builds('stream');
    assert.equal(running.complete, false);
    await log.getByText('line 25 is green').waitFor({ timeout: 30_000 });
    assert.equal((await builds('stream'))[0].complete, false);
    // ANSI colours are rendered, not shown as escape codes.
    assert.ok(await log.locator('span.a-f2', { hasText: 'line 25 is green' }).count() >= 1);
    assert.ok(await log.locator('span.a-bold.a-f1').count() >= 1);
    assert.equal(await log.getByText('[32m').count(), 0);
    // Follow mode kept the newest line in view.
    assert.equal(await page.locator('.log-view button', { hasText: 'Follow' }).getAttribute('aria-pressed'), 'true');
    await page.screenshot({ path: screenshotPath('ui-build-streaming'), fullPage: true });
    writeFileSync(join(releaseDir, '1'), '');
    await page.locator('.build-head .badge', { hasText: 'success' }).waitFor({ timeout: 30_000 });
    await log.getByText('released').waitFor();
    await page.screenshot({ path: screenshotPath('ui-build-finished'), fullPage: true });
  });

  test('stopping a running build from its page ends it cancelled', async () => {
    const brid = Object.values((await master.submit(['stream'])).brids)[0]!;
    const build = await waitUntil(async () => (await master.get(['buildrequests', brid, 'builds']))[0], 'the build to start');
    await page.goto(`${base}/#/builds/${build.buildid}`);
    await page.locator('.log-scroller').getByText('line 2 is green').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.build-head .badge', { hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    const [done] = await master.get(['builds', build.buildid]);
    assert.equal(done.results, 6);
    await page.screenshot({ path: screenshotPath('ui-build-stopped') });
  });

  test('a request for a builder whose worker is not connected says why it waits', async () => {
    await page.goto(`${base}/#/builders`);
    await page.locator('tr[data-builder="orphan"] th a').click();
    await page.locator('button[data-force="force"]').click();
    await page.getByRole('dialog').getByRole('button').last().click();
    await page.getByText('Build requested.').waitFor();
    await page.goto(`${base}/#/pending`);
    const reason = page.locator('tr[data-brid] [data-reason="no_worker_connected"]');
    await reason.waitFor({ timeout: 30_000 });
    assert.match(await reason.textContent() ?? '', /No worker connected/);
    await page.screenshot({ path: screenshotPath('ui-pending') });
    await page.goto(`${base}/#/workers`);
    await page.locator('tr[data-worker="ghost"] .state', { hasText: 'disconnected' }).waitFor();
    await page.locator('tr[data-worker="w0"] .state', { hasText: 'connected' }).waitFor();
    await page.screenshot({ path: screenshotPath('ui-workers') });
    await page.goto(`${base}/#/console`);
    await page.locator('.console a.chip').first().waitFor();
    await page.screenshot({ path: screenshotPath('ui-console') });
  });

  test('the build page fits a narrow phone screen', async () => {
    const phone = await web.context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    await phone.goto(`${base}/#/builders/1/builds/1`);
    await phone.locator('.step').first().waitFor();
    // Like Buildbot's UI: worker_preparation is step 0, the first configured step is 1.
    assert.equal(await phone.locator('.step').first().getAttribute('data-step'), 'worker_preparation');
    assert.deepEqual((await phone.locator('.step .step-num').allTextContents()).slice(0, 2), ['0', '1']);
    await phone.locator('.step:not([data-step="worker_preparation"]) summary').first().click();
    await phone.locator('.log-line').first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await phone.screenshot({ path: screenshotPath('ui-build-narrow'), fullPage: true });
    await phone.close();
  });

  test('logging out returns to anonymous browsing', async () => {
    await page.goto(`${base}/#/builders`);
    await page.locator('tr[data-builder="stream"] a.chip').first().waitFor();
    await page.screenshot({ path: screenshotPath('ui-builders-with-builds') });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    assert.equal(await page.locator('button[data-force]').count(), 0);
  });
});
