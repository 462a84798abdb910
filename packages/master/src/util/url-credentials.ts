/**
 * Keeps credentials out of logs and errors: `https://user:token@host/repo` is shown as
 * `https://user:***@host/repo` (also with no user name: `postgresql://:***@db/m`), and any text (a
 * git error message) is scrubbed the same way. Database URLs and repository URLs both go through here.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*)(:[^/@\s]*)?@/gi;

export function redactUrl(url: string): string {
  return url.replace(USERINFO, (_m, scheme: string, user: string, pw?: string) => `${scheme}${pw ? `${user}:***` : user}@`);
}

/** Scrubs URLs with credentials and the literal secrets given (e.g. the password part of repourl). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

/** The password/token of a URL, if any (to scrub it from text that does not show it as a URL). */
export function urlSecrets(url: string): string[] {
  const out: string[] = [];
  for (const m of url.matchAll(USERINFO)) {
    if (m[3]) out.push(m[3].slice(1));
    // A token given as the user part (https://TOKEN@github.com/...) is also a secret.
    else if (m[2] && m[2].length >= 20) out.push(m[2]);
  }
  return out;
}
