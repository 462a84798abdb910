/**
 * Hash routes as Buildbot's UI has them (`#/builders/1/builds/3`), so bookmarks from a Buildbot
 * master keep working. A path URL (`/builders/1`, served index.html by the master) is turned into
 * the same hash route.
 */
export interface Route { pattern: string[]; name: string }
export interface Match { name: string; params: Record<string, string> }

export function compile(routes: Record<string, string>): Route[] {
  return Object.entries(routes).map(([pattern, name]) => ({ pattern: pattern.split('/').filter(Boolean), name }));
}

export function match(routes: Route[], path: string): Match | null {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const r of routes) {
    if (r.pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const p = r.pattern[i]!;
      if (p.startsWith(':')) params[p.slice(1)] = parts[i]!;
      else ok = p === parts[i];
    }
    if (ok) return { name: r.name, params };
  }
  return null;
}

/** The current client path: from the hash, or the URL path when there is no hash. */
export function currentPath(): string {
  if (location.hash.startsWith('#/')) return location.hash.slice(1).split('?')[0]!;
  if (location.pathname !== '/' && location.pathname !== '/index.html') {
    const path = location.pathname;
    history.replaceState(null, '', `/#${path}`);
    return path;
  }
  return '/';
}
