import fc from 'fast-check';
import { isValidE164, normalizePhoneNumber } from './phone-number';

describe('normalizePhoneNumber', () => {
  it.each([
    ['+14165550199', '+14165550199'],
    ['+1 (416) 555-0199', '+14165550199'],
    ['+1-416-555-0199', '+14165550199'],
    ['+44 20 7183 8750', '+442071838750'],
    ['+33 6 12 34 56 78', '+33612345678'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
  });

  it.each([
    ['no plus and country code', '4165550199'],
    ['a national format', '(416) 555-0199'],
    ['a number libphonenumber calls invalid', '+15555555555'],
    ['too short', '+1234'],
    ['letters', '+1416CALLNOW'],
    ['dots', '+1.416.555.0199'],
    ['a second plus', '++14165550199'],
    ['an empty string', ''],
    ['a lone plus', '+'],
    ['leading zero country code', '+0123456789'],
    ['far too long', `+1${'4'.repeat(40)}`],
  ])('rejects %s', (_label, input) => {
    expect(normalizePhoneNumber(input)).toBeNull();
  });

  it('never throws, and whatever it returns is valid E.164 that normalises to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+[\d\s()-]{0,20}$/)), (input) => {
        const normalised = normalizePhoneNumber(input);
        if (normalised !== null) {
          expect(normalised).toMatch(/^\+[1-9]\d{1,14}$/);
          expect(normalizePhoneNumber(normalised)).toBe(normalised);
          expect(isValidE164(normalised)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores the separators a person types', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' ', '-', '(', ')'), { maxLength: 10 }), fc.integer({ min: 0, max: 10 }), (separators, at) => {
        const digits = '14165550199';
        const cut = Math.min(at, digits.length);
        const typed = `+${digits.slice(0, cut)}${separators.join('')}${digits.slice(cut)}`;
        expect(normalizePhoneNumber(typed)).toBe('+14165550199');
      }),
    );
  });
});

describe('isValidE164', () => {
  it.each([
    ['+14165550199', true],
    ['+1 416 555 0199', false],
    [14165550199, false],
    [null, false],
    [{ $ne: null }, false],
  ])('%p is %p', (value, expected) => {
    expect(isValidE164(value)).toBe(expected);
  });
});
