/** Boots the UI: session, live connection, navigation, and the hash router that swaps pages. */
import { h, replace } from './dom.js';
import { Live, wsUrl } from './live.js';
import { Session } from './session.js';
import { compile, currentPath, match } from './router.js';
import type { Page, PageContext } from './page.js';
import { buildersPage } from './pages/builders.js';
import { builderPage } from './pages/builder.js';
import { buildPage } from './pages/build.js';
import { pendingPage } from './pages/pending.js';
import { workersPage } from './pages/workers.js';
import { changesPage } from './pages/changes.js';
import { consolePage } from './pages/console.js';
import { reportersPage } from './pages/reporters.js';
import { loginPage } from './pages/login.js';
import { errorView } from './pages/common.js';

const routes = compile({
  '/': 'builders',
  '/builders': 'builders',
  '/builders/:builderid': 'builder',
  '/builders/:builderid/builds/:number': 'build',
  '/builds/:buildid': 'build',
  '/pending': 'pending',
  '/buildrequests': 'pending',
  '/workers': 'workers',
  '/changes': 'changes',
  '/console': 'console',
  '/reporters': 'reporters',
  '/login': 'login',
});
const pages: Record<string, Page> = {
  builders: buildersPage, builder: builderPage, build: buildPage, pending: pendingPage,
  workers: workersPage, changes: changesPage, console: consolePage, login: loginPage, reporters: reportersPage,
};

const main = document.getElementById('main')!;
const session = new Session();
const live = new Live(wsUrl());
let leave: (() => void) | null = null;
let generation = 0;

async function show(): Promise<void> {
  const path = currentPath();
  leave?.();
  const gen = ++generation;
  const abort = new AbortController();
  const disposers: (() => void)[] = [];
  leave = () => { abort.abort(); for (const d of disposers.splice(0)) { try { d(); } catch (err) { console.error(err); } } };
  const ctx: PageContext = {
    live, session, signal: abort.signal,
    subscribe: (p, fn) => { disposers.push(live.subscribe(p, fn)); },
    onResync: (fn) => { disposers.push(live.onResync(fn)); },
    onDispose: (fn) => { disposers.push(fn); },
    setTitle: (t) => { document.title = `${t} — mastro`; },
  };
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    const here = a.getAttribute('href')!.slice(1);
    if (path === here || path.startsWith(`${here}/`) || (path === '/' && here === '/builders')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const m = match(routes, path);
  main.setAttribute('aria-busy', 'true');
  let el: HTMLElement;
  try {
    el = m ? await pages[m.name]!(ctx, m.params) : errorView(`There is no page at ${path}.`, 'Check the address, or start from the builders list.');
  } catch (err) {
    if (abort.signal.aborted) return;
    el = errorView(`This page could not be loaded: ${(err as Error).message}`, 'Reload the page; if it persists, check that the master is running.');
  }
  if (gen !== generation) return;
  main.removeAttribute('aria-busy');
  replace(main, el);
  // Move focus to the new content so keyboard and screen-reader users land on it.
  if (document.activeElement && document.activeElement !== document.body && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function renderUser(): void {
  const slot = document.getElementById('user')!;
  if (!session.available) { replace(slot); return; }
  if (session.user) {
    replace(slot,
      h('span', { class: 'muted', title: `roles: ${session.user.roles.join(', ') || 'none'}` }, session.user.username), ' ',
      h('button', { type: 'button', class: 'btn small', onclick: async () => { await session.logout(); void show(); } }, 'Log out'));
  } else {
    replace(slot, h('a', { class: 'btn small', href: `#/login?next=${encodeURIComponent(location.hash.slice(1) || '/')}` }, 'Log in'));
  }
}

function renderConn(): void {
  const el = document.getElementById('conn')!;
  live.onStatus((s) => {
    el.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : 'offline — retrying';
    el.className = `conn conn-${s}`;
  });
}

session.onChange(renderUser);
renderConn();
window.addEventListener('hashchange', () => void show());
try { await session.refresh(); } catch (err) { console.warn('could not read the session', err); }
renderUser();
await show();
