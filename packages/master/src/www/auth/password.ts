/**
 * Password and token hashing. Passwords: scrypt with a random salt, stored as
 * `scrypt$N$r$p$<salt b64>$<hash b64>` so the cost can be raised later without breaking old
 * entries. API tokens are long random strings: a SHA-256 digest is enough at rest and lets a
 * token be found by its digest without scanning every user.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { apiToken } from './ids.js';

const scrypt = (pw: string, salt: Buffer, len: number, o: ScryptOptions) =>
  new Promise<Buffer>((res, rej) => scryptCb(pw, salt, len, o, (err, key) => (err ? rej(err) : res(key))));

/** scrypt cost: N=2^15, r=8 (~32 MiB, ~50 ms) — OWASP's recommended minimum for scrypt. */
const COST = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, { ...COST, maxmem: 128 * COST.N * COST.r * 2 });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A stored hash that matches nothing, used for unknown users so they take as long as known ones. */
export const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_LEN).toString('base64')}`;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return timingSafeEqual(key, expected);
}

/** A new API token (see ids.ts). Shown once; only its digest is stored. */
export const newToken = apiToken;

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
