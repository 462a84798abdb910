/**
 * Keeps the transports' secrets out of every error text: the values of credential headers
 * (`Authorization: token …`, `PRIVATE-TOKEN`, a Basic password), tokens in URLs (user info,
 * `?access_token=`), and whatever else the caller names (an SMTP password, a webhook URL whose
 * path is the credential). Built on the master's URL-credential helpers so there is one rule for
 * what a credential in a URL looks like.
 *
 * The only import of those helpers under reporters/: the architecture issue moves them from
 * changes/redact.ts to util/url-credentials.ts, and this line is all that changes then.
 */
import { redactText, redactUrl, urlSecrets } from '../../changes/redact.js';

/** Header names whose values are credentials (compared lower-case). */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|private-token|job-token|x-api-key)$|token|secret|password|passwd|api-?key/i;
/** Query parameters whose values are credentials. */
const SECRET_PARAM = /token|secret|password|passwd|api-?key|^key$|^sig(nature)?$|^auth/i;

/** The literal secrets in a request's URL and headers, plus `extra`, to scrub from any text about it. */
export function requestSecrets(url: string, headers: Readonly<Record<string, string>> = {}, extra: readonly string[] = []): string[] {
  const out = new Set<string>(extra.filter((s) => s.length >= 3));
  for (const s of urlSecrets(url)) out.add(s);
  for (const s of urlSecrets(url)) { try { out.add(decodeURIComponent(s)); } catch { /* not %-encoded */ } }
  try {
    for (const [name, value] of new URL(url).searchParams) if (SECRET_PARAM.test(name) && value.length >= 3) out.add(value);
  } catch { /* not a URL: nothing more to find */ }
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADER.test(name) || !value) continue;
    out.add(value);
    // "token X", "Bearer X", "Basic B64": the credential alone may show up in an echo too.
    const m = /^(\w+)\s+(.+)$/.exec(value);
    if (m) {
      out.add(m[2]!);
      if (m[1]!.toLowerCase() === 'basic') {
        const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon >= 0 && decoded.length - colon > 3) out.add(decoded.slice(colon + 1));
      }
    }
  }
  // Longest first, so a value containing a shorter secret is replaced whole.
  return [...out].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/** A URL fit for an error text: no user info password, no credential query values; `secretPath` hides the path too. */
export function displayUrl(url: string, secretPath = false): string {
  let u: URL;
  try { u = new URL(url); } catch { return redactUrl(url); }
  if (secretPath) return `${u.protocol}//${u.host}/***`;
  if (u.password) u.password = '***';
  else if (u.username.length >= 20) u.username = '***'; // a token given as the user part
  for (const name of [...u.searchParams.keys()]) if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
  return u.href.replace(/%2A%2A%2A/g, '***');
}

/** `text` with every credential-bearing URL and every literal secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  return redactText(text, secrets);
}
