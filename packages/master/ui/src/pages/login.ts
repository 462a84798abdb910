/** The login form (local users; OAuth providers as links when the master offers them). */
import { h } from '../dom.js';
import type { Page } from '../page.js';
import { pageHeader } from './common.js';

export const loginPage: Page = (ctx) => {
  ctx.setTitle('Log in');
  const next = new URLSearchParams(location.hash.split('?')[1] ?? '').get('next') || '/';
  const status = h('p', { class: 'form-status', role: 'alert' });
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Log in');
  const form = h('form', { class: 'login-form', onsubmit: async (ev: Event) => {
    ev.preventDefault();
    status.textContent = '';
    submit.disabled = true;
    try {
      await ctx.session.login(user.value, pass.value);
      location.hash = next.startsWith('/') && !next.startsWith('/login') ? next : '/';
    } catch (err) {
      status.textContent = `Login failed: ${(err as Error).message}`;
      pass.select();
    } finally { submit.disabled = false; }
  } },
  h('div', { class: 'field' }, h('label', { for: 'login-user' }, 'Username'), user),
  h('div', { class: 'field' }, h('label', { for: 'login-pass' }, 'Password'), pass),
  status, submit);
  const oauth = ctx.session.authMethods.filter((m) => m !== 'local');
  setTimeout(() => user.focus(), 0);
  return h('div', { class: 'narrow' }, pageHeader('Log in'),
    ctx.session.user ? h('p', null, `You are logged in as ${ctx.session.user.username}.`) : null,
    ctx.session.authMethods.includes('local') ? form : null,
    oauth.length ? h('p', null, oauth.map((m) => h('a', { class: 'btn', href: `/auth/oauth/${encodeURIComponent(m)}` }, `Log in with ${m}`))) : null);
};
