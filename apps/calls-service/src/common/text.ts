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
