/**
 * What a failed statement means, across both engines, for the callers that treat some failures as
 * a lost race rather than an error (two masters claiming the same row, numbering the same build).
 * Only the exact codes count: any other constraint (NOT NULL, CHECK, a foreign key) is a bug and
 * must reach the caller.
 */

const codeOf = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');

/** A unique or primary key refused the row: PostgreSQL 23505, SQLite's extended UNIQUE/PRIMARYKEY codes. */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * PostgreSQL aborted the transaction in favour of a concurrent one: deadlock_detected (40P01) or
 * serialization_failure (40001). SQLite serialises writers and never answers these.
 */
export function isSerializationFailure(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40P01' || code === '40001';
}
