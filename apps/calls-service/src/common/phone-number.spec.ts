import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E164_PHONE_NUMBER, isValidE164, MAX_TYPED_PHONE_NUMBER_LENGTH, normalizePhoneNumber, refusalToDial, TYPED_PHONE_NUMBER } from './phone-number';

/** Real numbers of 7 to 15 digits; the contract fuzzer dials these too (tools/fuzz/hooks.py). */
const REAL_NUMBERS: string[] = JSON.parse(
  readFileSync(join(__dirname, '..', '..', '..', '..', 'tools', 'fuzz', 'valid-phone-numbers.json'), 'utf8'),
).numbers;

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

  // What the contract's pattern admits, the service takes: a number no numbering plan knows (yet) is
  // kept as typed, and refused only when dialled (refusalToDial).
  it.each([
    ['a number libphonenumber calls invalid', '+1 555 555 5555', '+15555555555'],
    ['a short one', '+1234', '+1234'],
    ['the shortest the pattern admits', '+10', '+10'],
    ['separators around it', '+10----', '+10'],
  ])('keeps %s as typed: %s is %s', (_label, input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
  });

  it.each([
    ['no plus and country code', '4165550199'],
    ['a national format', '(416) 555-0199'],
    ['letters', '+1416CALLNOW'],
    ['dots', '+1.416.555.0199'],
    ['a second plus', '++14165550199'],
    ['an empty string', ''],
    ['a lone plus', '+'],
    ['leading zero country code', '+0123456789'],
    ['far too long', `+1${'4'.repeat(40)}`],
    // The contract names spaces, dashes and parentheses; other whitespace is refused, not removed.
    ['a tab', '+1\t416 555 0199'],
    ['a non-breaking space', '+1\u00a0416 555 0199'],
    ['a final newline', '+14165550199\n'],
    ['digits of another script', '+\u0661\u0664\u0661\u0666\u0665\u0665\u0665\u0660\u0661\u0669\u0669'],
    ['33 characters', `+1 416 555 0199${' '.repeat(18)}`],
  ])('rejects %s', (_label, input) => {
    expect(normalizePhoneNumber(input)).toBeNull();
  });

  it('never throws, and whatever it returns is E.164 that normalises to itself', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+[\d\s()-]{0,20}$/)), (input) => {
        const normalised = normalizePhoneNumber(input);
        if (normalised !== null) {
          expect(normalised).toMatch(/^\+[1-9]\d{1,14}$/);
          expect(normalizePhoneNumber(normalised)).toBe(normalised);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts nothing outside the pattern and length that openapi.yaml publishes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.stringMatching(/^\+[0-9 ()\t.-]{0,40}$/)), (input) => {
        if (normalizePhoneNumber(input) !== null) {
          expect(input).toMatch(TYPED_PHONE_NUMBER);
          expect(input.length).toBeLessThanOrEqual(MAX_TYPED_PHONE_NUMBER_LENGTH);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it.each(REAL_NUMBERS)('knows %s, which the contract fuzzer dials, as valid E.164', (number) => {
    expect(number).toMatch(E164_PHONE_NUMBER);
    expect(normalizePhoneNumber(number)).toBe(number);
    expect(isValidE164(number)).toBe(true);
  });

  it('round-trips any real number typed with separators anywhere after the +', () => {
    const separator = fc.constantFrom(' ', '-', '(', ')');
    fc.assert(
      fc.property(fc.constantFrom(...REAL_NUMBERS), fc.array(fc.array(separator, { maxLength: 2 }), { maxLength: 16 }), (number, gaps) => {
        const digits = number.slice(1);
        const typed = `+${[...digits].map((digit, index) => `${(gaps[index] ?? []).join('')}${digit}`).join('')}${(gaps[digits.length] ?? []).join('')}`;
        fc.pre(typed.length <= MAX_TYPED_PHONE_NUMBER_LENGTH);
        expect(typed).toMatch(TYPED_PHONE_NUMBER);
        expect(normalizePhoneNumber(typed)).toBe(number);
      }),
      { numRuns: 1000 },
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
    ['+15555555555', false],
    ['+10', false],
    [14165550199, false],
    [null, false],
    [{ $ne: null }, false],
  ])('%p is %p', (value, expected) => {
    expect(isValidE164(value)).toBe(expected);
  });
});

describe('refusalToDial', () => {
  const BLOCKED = ['PREMIUM_RATE', 'SHARED_COST'] as const;

  it.each([
    ['a North American number', '+14165550199'],
    ['a French mobile', '+33612345678'],
    ['a toll-free number', '+18002345678'],
  ])('dials %s', (_label, number) => {
    expect(refusalToDial(number, BLOCKED)).toBeNull();
  });

  it.each([
    ['a US premium-rate number', '+19002345678', '+19002345678 is a premium-rate number; the service does not call those (BLOCKED_NUMBER_TYPES)'],
    ['a UK premium-rate number', '+449098790000', '+449098790000 is a premium-rate number; the service does not call those (BLOCKED_NUMBER_TYPES)'],
    ['a French shared-cost number', '+33810123456', '+33810123456 is a shared-cost number; the service does not call those (BLOCKED_NUMBER_TYPES)'],
    ['a number no country uses', '+10', "+10 is not a number in any country's numbering plan"],
    ['a number libphonenumber calls invalid', '+15555555555', "+15555555555 is not a number in any country's numbering plan"],
  ])('refuses %s', (_label, number, reason) => {
    expect(refusalToDial(number, BLOCKED)).toBe(reason);
  });

  it('dials a premium-rate number when no type is blocked', () => {
    expect(refusalToDial('+19002345678', [])).toBeNull();
  });
});
