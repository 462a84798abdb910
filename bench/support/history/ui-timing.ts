/**
 * The UI's builders page and a build page loaded in Debian's Chromium (playwright-core), timed from
 * navigation until the page shows its data: every builder row with its build chips, or every step
 * of the build. A fresh browser context per load, so nothing is served from the browser's cache.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM, hasChromium } from '../../../test/support/ui-browser.js';
import { median } from '../../stats.js';

export async function timeUiPages(httpPort: number, o: { lastBuilder: string; build: { builderid: number; number: number }; lastStep: string; loads: number }): Promise<{ buildersPageMs: number | null; buildPageMs: number | null; note: string }> {
  if (!hasChromium()) return { buildersPageMs: null, buildPageMs: null, note: `no Chromium at ${CHROMIUM} (apt-get install chromium): pages not rendered` };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], headless: true });
  try {
    const time = async (url: string, selector: string) => {
      const samples: number[] = [];
      for (let i = 0; i < o.loads; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const t0 = performance.now();
        await page.goto(url);
        await page.locator(selector).first().waitFor({ timeout: 120_000 });
        samples.push(performance.now() - t0);
        await context.close();
      }
      return median(samples);
    };
    const base = `http://127.0.0.1:${httpPort}/#`;
    return {
      buildersPageMs: await time(`${base}/builders`, `tr[data-builder="${o.lastBuilder}"] a.chip`),
      buildPageMs: await time(`${base}/builders/${o.build.builderid}/builds/${o.build.number}`, `li.step[data-step="${o.lastStep}"]`),
      note: `Chromium ${browser.version()} headless; median of ${o.loads} loads, each in a fresh context, navigation -> the last builder row's build chips / the last step shown`,
    };
  } finally {
    await browser.close();
  }
}
