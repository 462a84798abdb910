/**
 * A reporter's own CA (an internal GitLab, a company mail relay, a private IRC network), given as
 * PEM text or as the path of a PEM file, added to Node's public roots: the reporter still reaches
 * public services, and the private one is trusted without turning verification off.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/** The PEM text of `ca`: as given, or read from the file it names. Throws an Error that says how to fix it. */
export function loadCa(ca: string): string {
  if (ca.includes('-----BEGIN')) return ca;
  let text: string;
  try { text = readFileSync(ca, 'utf8'); } catch (e) {
    throw new Error(`the CA file ${ca} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give ca as PEM text or the path of a readable PEM file`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE')) throw new Error(`the CA file ${ca} holds no PEM certificate ("-----BEGIN CERTIFICATE"): give the CA's certificate in PEM form`);
  return text;
}

/** The `ca` list for a TLS connection: the public roots plus the reporter's CA, or undefined (Node's defaults) without one. */
export function trustedCas(ca: string | undefined): string[] | undefined {
  return ca ? [...rootCertificates, loadCa(ca)] : undefined;
}
