/**
 * An `If-Match` header (RFC 9110, 13.1.1): `*`, or a list of entity tags. A weak tag (`W/"3"`) never
 * matches, since If-Match compares strongly; null when the header is not one of these.
 */
export type IfMatch = { any: true } | { tags: string[] };

const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

export function parseIfMatch(header: string | undefined): IfMatch | null | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
  // A list may hold empty elements (`"3", ,"4"`), which a recipient must accept and ignore (RFC 9110, 5.6.1).
  const tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  if (tags.length === 0 || !tags.every((tag) => ENTITY_TAG.test(tag))) return null;
  return { tags: tags.filter((tag) => !tag.startsWith('W/')) };
}

/** Whether the resource whose current entity tag is `etag` satisfies the header. */
export function ifMatches(ifMatch: IfMatch, etag: string): boolean {
  return 'any' in ifMatch || ifMatch.tags.includes(etag);
}
