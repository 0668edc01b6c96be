/**
 * True for a unique-index violation. MongoDB answers E11000 (code 11000) for inserts and updates
 * alike; FerretDB 1.x does so only for inserts, and fails an update with code 1 and SQLite's text.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 11000 || (code === 1 && typeof message === 'string' && message.includes('UNIQUE constraint failed'));
}
