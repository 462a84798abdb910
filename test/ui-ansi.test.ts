/**
 * The UI's ANSI renderer, run as the browser runs it: the compiled module imported in Chromium
 * from the ui-static server. SGR colours become classes; other escapes never reach the screen.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { registerUiStatic } from '../packages/master/src/www/ui-static.js';
import { hasChromium, launchBrowser, uiBuilt, type TestBrowser } from './support/ui-browser.js';

const skip = !hasChromium() ? 'Debian chromium is not installed' : !uiBuilt() ? 'the web UI is not built (npm run build)' : false;

describe('ANSI rendering in the browser', { skip }, () => {
  let app: FastifyInstance;
  let web: TestBrowser;
  let page: Page;

  /** Renders `line` and returns [class, text] per node. */
  const render = (line: string) => page.evaluate(async (l) => {
    const { renderAnsi } = await import('/app/ansi.js' as string);
    const div = document.createElement('div');
    renderAnsi(div, l);
    return [...div.childNodes].map((n) => [n.nodeType === 3 ? '' : (n as Element).className, n.textContent]);
  }, line);

  before(async () => {
    app = Fastify();
    await registerUiStatic(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    web = await launchBrowser();
    page = await web.context.newPage();
    await page.goto(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/style.css`);
  });

  after(async () => {
    await web?.close();
    await app?.close();
  });

  test('plain lines stay one text node', async () => {
    assert.deepEqual(await render('hello <b>world</b>'), [['', 'hello <b>world</b>']]);
  });

  test('foreground, bright, background and bold codes map to classes and reset ends them', async () => {
    assert.deepEqual(await render('\x1b[31mred\x1b[0m plain \x1b[1;92mbold bright\x1b[22m not bold\x1b[39m \x1b[44mblue bg\x1b[m'), [
      ['a-f1', 'red'], ['', ' plain '], ['a-f10 a-bold', 'bold bright'], ['a-f10', ' not bold'], ['', ' '], ['a-b4', 'blue bg'],
    ]);
  });

  test('256-colour arguments are skipped and cursor sequences dropped', async () => {
    assert.deepEqual(await render('\x1b[38;5;196mx\x1b[0m\x1b[2K\x1b[1Gdone\x1b'), [['', 'x'], ['', 'done']]);
  });
});
