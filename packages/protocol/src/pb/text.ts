/**
 * Text from a Python peer, read as Buildbot reads it (`bytes2unicode`): a str is text, bytes are
 * UTF-8 (Python 2 clients and `buildbot sendchange` send some fields as bytes), a number is its
 * decimal text (a revision number), None is null. Anything else is undefined, for the caller to
 * refuse with its own words.
 */
export function pbText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}
