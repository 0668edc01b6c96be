import fc from 'fast-check';
import { decodeNumberCursor, encodeNumberCursor, NUMBER_CURSOR } from './phone-number-cursor';

const e164 = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[0-9]{1,14}$/)).map(([first, rest]) => `+${first}${rest}`);

describe('the phone-number list cursor', () => {
  it('reads back the number it encodes, in the published form', () => {
    fc.assert(
      fc.property(e164, (number) => {
        const cursor = encodeNumberCursor(number);
        expect(cursor).toMatch(NUMBER_CURSOR);
        expect(decodeNumberCursor(cursor)).toBe(number);
      }),
    );
  });

  it('orders as the numbers do, so a page starts right after the one before', () => {
    fc.assert(
      fc.property(e164, e164, (a, b) => {
        expect(decodeNumberCursor(encodeNumberCursor(a)) < b).toBe(a < b);
      }),
    );
  });

  it('reads any cursor of the published form as a string to compare with, never anything else', () => {
    fc.assert(
      fc.property(fc.stringMatching(NUMBER_CURSOR), (cursor) => {
        expect(typeof decodeNumberCursor(cursor)).toBe('string');
      }),
    );
  });

  it('keeps its format', () => {
    expect(encodeNumberCursor('+14165550111')).toBe('MTQxNjU1NTAxMTE');
  });
});
