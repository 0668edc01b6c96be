/** E11000: an insert hit a unique key that exists (MongoDB and FerretDB report the same code). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 11000;
}
