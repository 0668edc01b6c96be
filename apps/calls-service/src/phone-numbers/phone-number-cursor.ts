/*
 * The phone-number list's cursor: the last number of a page (its E.164 digits), base64url-encoded, as
 * common/cursor.ts makes the others. The list is sorted by number, which is unique in an organization,
 * so the number alone says where the next page starts, even after that number was changed or deleted.
 * Any string is a place in that order, so every cursor of the published form is accepted: what the
 * contract admits, the service answers (a client's own cursor is only ever compared with, never run).
 */

/** What encodeNumberCursor prints (15 digits at most are 20 base64url characters). openapi.yaml publishes it. */
export const NUMBER_CURSOR = /^[A-Za-z0-9_-]{3,20}$/;

export function encodeNumberCursor(number: string): string {
  return Buffer.from(number.slice(1), 'latin1').toString('base64url');
}

/** The place in the list's order a cursor of the published form stands for. */
export function decodeNumberCursor(cursor: string): string {
  return `+${Buffer.from(cursor, 'base64url').toString('latin1')}`;
}
