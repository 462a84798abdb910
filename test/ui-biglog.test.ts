/**
 * A 100 MB log (about a million coloured lines from a real worker) in the build page: the viewer
 * keeps only the visible lines in the DOM, fetches line ranges on demand, and a jump to the end
 * or the middle shows the right lines while the page keeps answering.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { hasChromium, launchBrowser, screenshotPath, uiBuilt, type TestBrowser } from './support/ui-browser.js';

const skip = !hasChromium() ? 'Debian chromium is not installed' : !uiBuilt() ? 'the web UI is not built (npm run build)' : false;
const LINES = 1_000_000;
const PAD = 'x'.repeat(72);

describe('a 100 MB log in the browser', { skip }, () => {
  let env: TestEnv;
  let master: MasterProcess;
  let web: TestBrowser;
  let buildid: number;

  before(async () => {
    env = new TestEnv();
    // ~104 bytes per line: "\e[36m0000001\e[0m <72 x> end\n"
    const gen = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "\\033[36m%07d\\033[0m ${PAD} end\\n", i }'`;
    env.writeConfig({ gen }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, host: '127.0.0.1' },
      logMaxSize: null,
      workers: [m.worker('w0', 'pass')],
      builders: [m.builder({ name: 'big', workerNames: ['w0'], steps: [m.steps.shell({ name: 'generate', command: ['sh', '-c', v.gen] })] })],
    }));
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    const brid = Object.values((await master.submit(['big'])).brids)[0]!;
    const build = await waitUntil(async () => (await master.get(['buildrequests', brid, 'builds']))[0], 'the build to start', 60_000);
    buildid = build.buildid;
    await waitUntil(async () => (await master.get(['builds', buildid]))[0]?.complete, 'the 100 MB build to finish', 400_000);
    web = await launchBrowser();
  });

  after(async () => {
    await web?.close();
    await env?.cleanup();
  });

  test('jumping to the end and the middle shows those lines with only the visible ones rendered', async () => {
    const page = await web.context.newPage();
    await page.goto(`http://127.0.0.1:${master.ready.httpPort}/#/builds/${buildid}`);
    await page.locator('.step:not([data-step="worker_preparation"]) summary').first().click();
    const scroller = page.locator('.log-view[data-log="stdio"] .log-scroller');
    await scroller.locator('.log-line').first().waitFor();
    const total = Number((await page.locator('.log-count').textContent())!.replace(/[^0-9]/g, ''));
    assert.ok(total > LINES, `the log has ${total} lines`);

    await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await scroller.getByText(`${String(LINES).padStart(7, '0')}`, { exact: true }).waitFor({ timeout: 60_000 });
    const rendered = await scroller.locator('.log-line').count();
    assert.ok(rendered < 200, `${rendered} line elements in the DOM`);
    await page.screenshot({ path: screenshotPath('ui-biglog-end') });

    // The middle of the log: proportional scrolling lands near line 500 000.
    await scroller.evaluate((el) => { el.scrollTop = (el.scrollHeight - el.clientHeight) / 2; });
    await waitUntil(async () => {
      const nums = await scroller.locator('.log-line:not(.log-missing) .log-t span.a-f6').allTextContents();
      return nums.length > 0 && nums.every((n) => Math.abs(Number(n) - LINES / 2) < 5000);
    }, 'lines near the middle to render', 60_000);
    // The page still answers promptly (a frame is painted).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(true))));
    await page.screenshot({ path: screenshotPath('ui-biglog-middle') });

    // Keyboard scrolling works on the focused log.
    await scroller.focus();
    await page.keyboard.press('Home');
    await scroller.locator('.log-line:not(.log-missing) .log-n', { hasText: /^1$/ }).waitFor({ timeout: 60_000 });
    assert.equal(await scroller.evaluate((el) => el.scrollTop), 0);
    await page.close();
  });
});
