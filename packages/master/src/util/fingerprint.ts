/**
 * Whether a part of the config changed across a reconfig: services (master/services.ts) and
 * reporters (reporters/service.ts) restart only what a fingerprint says changed.
 */
/** A JSON fingerprint of a config part that also distinguishes functions (by source) and renderables. */
export function fingerprint(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'function') return `fn:${v.toString()}`;
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[cycle]';
      seen.add(v);
      if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) {
        return { __class: v.constructor?.name, ...Object.fromEntries(Object.entries(v)) };
      }
    }
    return v;
  });
}
