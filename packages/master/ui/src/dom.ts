/**
 * A tiny element builder: `h('a', { href, class: 'x', onclick }, 'text', child)`. No virtual DOM:
 * pages build their elements once and update the few nodes that change when events arrive.
 */
export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
      else if (k === 'class') el.className = String(v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Calls `fn` at most once per animation frame however often it is scheduled. */
export function frameScheduler(fn: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; fn(); });
  };
}

/** Calls `fn` once `ms` after the last call (used to coalesce bursts of events into one refetch). */
export function debounce(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let t: ReturnType<typeof setTimeout> | null = null;
  const run = () => { if (t) clearTimeout(t); t = setTimeout(() => { t = null; fn(); }, ms); };
  return Object.assign(run, { cancel: () => { if (t) clearTimeout(t); t = null; } });
}
