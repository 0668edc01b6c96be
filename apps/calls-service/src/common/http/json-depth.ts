/**
 * How deeply objects and arrays may nest in a request body. The deepest body the contract describes
 * nests 3 levels; class-transformer and class-validator walk a body recursively, so a body nested a
 * few thousand levels deep (well under the size limit) overflowed their stack: a 500 and a stalled
 * event loop for every such request.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True for JSON nested deeper than MAX_JSON_DEPTH, told before JSON.parse and the validators see it. One pass
 * over the bytes, without recursion, so that the cost of a refusal is the cost of reading the body.
 * Structural characters are ASCII and never occur inside a UTF-8 multi-byte sequence, so bytes will do.
 */
export function isNestedTooDeeply(raw: Buffer): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index++) {
    const byte = raw[index];
    if (inString) {
      if (byte === BACKSLASH) {
        index++;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
