/**
 * Constant-time comparison of secrets (passwords, tokens, CSRF tokens, webhook secrets) with a value
 * a client sent. Both sides are hashed first, so `timingSafeEqual` compares equal lengths and the
 * time taken reveals neither the content nor the length of the secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality of two strings of any lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
