/**
 * Matches text with something in it besides whitespace: exactly the characters String.prototype.trim
 * removes, spelled out because \s means something else in every regex dialect (a fuzzer's Python
 * included). openapi.yaml publishes this pattern.
 */
export const NOT_BLANK = /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/**
 * Fields are validated as sent, so that a length limit means what openapi.yaml says, and trimmed
 * only once valid.
 */
export function trimmed<T extends string | null | undefined>(value: T): T {
  return (typeof value === 'string' ? value.trim() : value) as T;
}

/**
 * Text without the NUL character, which no text field has a use for and which C-string code
 * downstream (a CRM export, a database tool, a log shipper) would cut the text at. The request pipe
 * refuses NUL in every field of a typed body or query (containsNul); openapi.yaml publishes this
 * pattern on the free-text fields, so that the contract says so too.
 */
export const NO_NUL = /^[^\u0000]*$/;
/** NOT_BLANK and NO_NUL at once, for a field that must say something: openapi.yaml publishes it. */
export const NOT_BLANK_NO_NUL =
  /^[^\u0000]*[^\u0000\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000]*$/;

/**
 * A tag: NOT_BLANK_NO_NUL without commas, since the CSV export joins a call's tags with `, ` and a tag
 * holding one would read as two. openapi.yaml publishes it.
 */
export const TAG_TEXT =
  /^[^\u0000,]*[^\u0000,\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000,]*$/;

/** True when a string anywhere in the value, keys included, holds a NUL. Iterative: bodies are deep. */
export function containsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return true;
    } else if (Array.isArray(item)) {
      pending.push(...item);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}

/**
 * Text as a literal regular expression. A NUL byte is written as the escape `\x00`: a BSON regex is a
 * C string, and the driver refuses to send one that holds a NUL (which used to answer 500).
 */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
