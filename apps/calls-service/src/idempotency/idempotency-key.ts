import { createHash } from 'node:crypto';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** Printable ASCII, space included (an HTTP parser has already trimmed the ends). */
export const IDEMPOTENCY_KEY_PATTERN = /^[ -~]+$/;

/** The key a header carries, or null when it is not 1 to 255 printable ASCII characters. */
export function parseIdempotencyKey(header: unknown): string | null {
  if (typeof header !== 'string' || header.length > IDEMPOTENCY_KEY_MAX_LENGTH) return null;
  return IDEMPOTENCY_KEY_PATTERN.test(header) ? header : null;
}

/** Whose key it is: the same key from another user, organization or operation is another key. */
export interface IdempotencyScope {
  operation: string;
  organizationId: string;
  userId: string;
}

export function idempotencyKeyId(scope: IdempotencyScope, key: string): string {
  return sha256(JSON.stringify([scope.operation, scope.organizationId, scope.userId, key]));
}

/** JSON with object keys sorted and undefined properties left out: equal requests print equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function requestHash(request: unknown): string {
  return sha256(canonicalJson(request));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, item]) => [key, sortKeys(item)]));
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
