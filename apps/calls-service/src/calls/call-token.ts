import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 24 random bytes as base64url: 192 bits, so a call's reference cannot be guessed from another's. */
export const CALL_TOKEN = /^[A-Za-z0-9_-]{32}$/;

export const newCallToken = (): string => randomBytes(24).toString('base64url');

/** Compares in constant time, so that the answer's timing does not reveal how much of a guess was right. */
export function callTokenMatches(expected: string | null, given: string | null): boolean {
  if (!expected || !given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The user id the provider's SDK registers with (and so the caller an ICE names): the organization and
 * the user, since a user id alone is not known to be unique across organizations.
 */
export const sdkUserIdOf = (organizationId: string, userId: string): string => `${organizationId.toLowerCase()}-${userId.toLowerCase()}`;
