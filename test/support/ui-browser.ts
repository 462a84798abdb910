/**
 * Browser-test helpers: Debian's Chromium through playwright-core with a fresh profile, and
 * screenshots into `test-results/` (gitignored) so a run leaves pictures to look at.
 */
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './master-harness.js';

export const RESULTS_DIR = join(ROOT, 'test-results');
export const CHROMIUM = process.env.MASTRO_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function hasChromium(): boolean { return existsSync(CHROMIUM); }

export function uiBuilt(): boolean { return existsSync(join(ROOT, 'packages/master/dist/ui/index.html')); }

export interface TestBrowser { browser: Browser; context: BrowserContext; close(): Promise<void> }

/** A headless Chromium with its own throw-away user-data-dir (no state shared between runs). */
export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'mastro-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport });
  const browser = context.browser() as Browser;
  return {
    browser, context,
    async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, `${name}.png`);
}
