/**
 * Webhook authenticity checks, all in constant time: GitHub's `X-Hub-Signature-256` (HMAC-SHA256
 * of the raw body; `X-Hub-Signature` HMAC-SHA1 when only that one is sent) and shared tokens such as GitLab's `X-Gitlab-Token`. Both sides are hashed
 * before `timingSafeEqual` (../../util/safe-equal.ts) so neither the content nor the length of the secret leaks through timing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { safeEqual } from '../../util/safe-equal.js';

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Verifies a `sha256=<hex>` signature header over the raw body. */
export function verifyHubSignature256(secret: string, body: Buffer, header: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: 'the request has no X-Hub-Signature-256 header but a secret is configured; set the same secret in the webhook settings' };
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return { ok: false, reason: 'X-Hub-Signature-256 is not of the form sha256=<64 hex digits>' };
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(m[1]!, 'hex');
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'X-Hub-Signature-256 does not match the body; check that the webhook secret equals the configured one' };
  return { ok: true };
}

/**
 * Verifies the older `X-Hub-Signature: sha1=<hex>` (HMAC-SHA1, the only one Buildbot 3.7 checks):
 * GitHub sends it next to the SHA-256 one, and scripts written for Buildbot's hook send only it.
 */
export function verifyHubSignature1(secret: string, body: Buffer, header: string): SignatureCheck {
  const m = /^sha1=([0-9a-f]{40})$/i.exec(header.trim());
  if (!m) return { ok: false, reason: 'X-Hub-Signature is not of the form sha1=<40 hex digits>' };
  const expected = createHmac('sha1', secret).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'))) return { ok: false, reason: 'X-Hub-Signature does not match the body; check that the webhook secret equals the configured one' };
  return { ok: true };
}

/** The value to send in X-Hub-Signature-256 (for tests and for clients such as a forwarding proxy). */
export function hubSignature256(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Verifies a shared token header (GitLab's X-Gitlab-Token, Gerrit's configured token). */
export function verifyToken(expected: string, given: string | undefined, headerName: string): SignatureCheck {
  if (given === undefined || given === '') return { ok: false, reason: `the request has no ${headerName} but a secret is configured; set the same secret in the webhook settings` };
  if (!safeEqual(expected, given)) return { ok: false, reason: `${headerName} does not match the configured secret` };
  return { ok: true };
}
