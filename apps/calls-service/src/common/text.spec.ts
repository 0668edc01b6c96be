import { containsNul, NO_NUL, NOT_BLANK, NOT_BLANK_NO_NUL, TAG_TEXT } from './text';

describe('containsNul', () => {
  it.each([
    ['a string', 'a\u0000b', true],
    ['a nested value', { a: [{ b: ['x', 'y\u0000'] }] }, true],
    ['a key', { 'k\u0000': 1 }, true],
    ['clean text', { a: ['b', { c: 'd' }], e: 1, f: null }, false],
    ['a number', 0, false],
  ])('finds it in %s: %p', (_label, value, expected) => {
    expect(containsNul(value)).toBe(expected);
  });
});

describe('the published patterns', () => {
  it.each([
    ['Ada', true, true],
    ['  Ada ', true, true],
    ['   ', true, false],
    ['', true, false],
    ['Ad\u0000a', false, false],
    ['\u0000', false, false],
  ])('%p: no NUL %p, not blank and no NUL %p', (text, noNul, notBlankNoNul) => {
    expect(NO_NUL.test(text)).toBe(noNul);
    expect(NOT_BLANK_NO_NUL.test(text)).toBe(notBlankNoNul);
    if (!text.includes('\u0000')) expect(NOT_BLANK_NO_NUL.test(text)).toBe(NOT_BLANK.test(text));
    // A tag is the same, and without commas.
    expect(TAG_TEXT.test(text)).toBe(notBlankNoNul);
    expect(TAG_TEXT.test(`${text},`)).toBe(false);
  });
});
