/**
 * The force-build dialog, generated from a force scheduler's Buildbot `all_fields` description
 * (types text, textarea, int, bool, choice/list, fixed, nested). Submits Buildbot's JSON-RPC
 * `force` to `forceschedulers/{name}`; errors (field errors included) are shown in the dialog.
 */
import { ApiError, rpc } from './api.js';
import { h } from './dom.js';

export interface ForceField {
  name: string; fullName: string; label: string; type: string; default: unknown; required: boolean; hide: boolean;
  multiple?: boolean; regex?: string | null; choices?: string[]; fields?: ForceField[]; tablabel?: string;
}
export interface ForceScheduler { name: string; label: string; button_name: string; builder_names: string[]; all_fields: ForceField[]; enabled?: boolean }

let seq = 0;

function fieldControl(f: ForceField): { el: HTMLElement; read(): unknown } | null {
  if (f.type === 'nested' || f.fields) {
    const parts = (f.fields ?? []).map(fieldControl).filter((x): x is NonNullable<typeof x> => !!x);
    return { el: h('fieldset', { class: 'nested' }, f.label ? h('legend', null, f.label) : null, parts.map((p) => p.el)), read: () => undefined };
  }
  const id = `ff-${++seq}`;
  const label = h('label', { for: id }, f.label || f.name, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
  let read: () => unknown;
  switch (f.type) {
    case 'textarea':
      input = h('textarea', { id, name: f.fullName, rows: '4', required: f.required }, String(f.default ?? ''));
      read = () => input.value;
      break;
    case 'int':
      input = h('input', { id, name: f.fullName, type: 'number', step: '1', value: String(f.default ?? 0), required: f.required });
      read = () => (input.value === '' ? null : Number(input.value));
      break;
    case 'bool': {
      const box = h('input', { id, name: f.fullName, type: 'checkbox', checked: !!f.default });
      return { el: h('div', { class: 'field check' }, box, label), read: () => box.checked };
    }
    case 'list':
    case 'choice': {
      const sel = h('select', { id, name: f.fullName, multiple: !!f.multiple, required: f.required },
        (f.choices ?? []).map((c) => h('option', { value: c, selected: Array.isArray(f.default) ? f.default.includes(c) : f.default === c }, c)));
      input = sel;
      read = () => (f.multiple ? [...sel.selectedOptions].map((o) => o.value) : sel.value);
      break;
    }
    case 'fixed':
      return { el: h('div', { class: 'field' }, h('span', { class: 'label' }, f.label || f.name), h('output', { id }, String(f.default ?? ''))), read: () => f.default };
    default:
      input = h('input', { id, name: f.fullName, type: 'text', value: String(f.default ?? ''), required: f.required, pattern: f.regex ?? undefined });
      read = () => input.value;
  }
  const err = h('span', { class: 'field-error', id: `${id}-err`, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', err.id);
  return { el: h('div', { class: 'field', 'data-field': f.fullName }, label, input, err), read };
}

/** Opens the dialog; resolves with the JSON-RPC result once a build was requested, or null if cancelled. */
export function openForceDialog(sched: ForceScheduler, builderid: number): Promise<unknown | null> {
  const controls: { f: ForceField; read(): unknown }[] = [];
  const collect = (fields: ForceField[], into: HTMLElement) => {
    for (const f of fields) {
      if (f.fields) { const fs = h('fieldset', { class: 'nested' }, f.label ? h('legend', null, f.label) : null); into.appendChild(fs); collect(f.fields, fs); continue; }
      if (f.hide) { controls.push({ f, read: () => f.default }); continue; }
      const c = fieldControl(f);
      if (c) { controls.push({ f, read: c.read }); into.appendChild(c.el); }
    }
  };
  const body = h('div', { class: 'fields' });
  collect(sched.all_fields, body);
  const status = h('p', { class: 'form-status', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, sched.button_name || 'Start build');
  const form = h('form', { method: 'dialog', class: 'force-form' },
    h('h2', null, sched.label || sched.name), body, status,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => dialog.close() }, 'Cancel'), submit));
  const dialog = h('dialog', { class: 'dialog', 'aria-label': `Force build: ${sched.label || sched.name}` }, form);
  document.body.appendChild(dialog);

  return new Promise((resolve) => {
    let result: unknown = null;
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
      status.textContent = '';
      const params: Record<string, unknown> = { builderid };
      for (const c of controls) { const v = c.read(); if (v !== undefined) params[c.f.fullName] = v; }
      submit.disabled = true;
      try {
        result = await rpc(`forceschedulers/${encodeURIComponent(sched.name)}`, 'force', params);
        dialog.close();
      } catch (err) {
        const data = err instanceof ApiError ? (err.data as { error?: { data?: unknown } } | undefined) : undefined;
        const fieldErrors = (data?.error?.data ?? (err as ApiError).data) as Record<string, string> | undefined;
        if (fieldErrors && typeof fieldErrors === 'object') {
          for (const [name, msg] of Object.entries(fieldErrors)) {
            const slot = form.querySelector(`[data-field="${CSS.escape(name)}"] .field-error`);
            if (slot && typeof msg === 'string') slot.textContent = msg;
          }
        }
        status.textContent = `The build was not started: ${(err as Error).message}`;
      } finally { submit.disabled = false; }
    });
    dialog.showModal();
    (body.querySelector('input,textarea,select') as HTMLElement | null)?.focus();
  });
}
