import fc from 'fast-check';
import { parseDateTime } from './date-time';

describe('parseDateTime', () => {
  it.each([
    ['2026-11-27T10:00:00Z', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27T10:00:00.5Z', '2026-11-27T10:00:00.500Z'],
    ['2026-11-27T10:00:00.123456Z', '2026-11-27T10:00:00.123Z'],
    ['2026-11-27T12:00:00+02:00', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27t10:00:00z', '2026-11-27T10:00:00.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseDateTime(input)?.toISOString()).toBe(expected);
  });

  it.each([
    ['a date alone', '2026-11-27'],
    ['no offset', '2026-11-27T10:00:00'],
    ['a space for the T', '2026-11-27 10:00:00Z'],
    ['31 February', '2026-02-31T10:00:00Z'],
    ['29 February of a common year', '2026-02-29T10:00:00Z'],
    ['hour 24', '2026-11-27T24:00:00Z'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['a timestamp', '1795751602100'],
    ['words', 'yesterday'],
    ['an empty string', ''],
    ['a number', 1795751602100],
    ['an operator object', { $gt: '' }],
  ])('refuses %s', (_label, input) => {
    expect(parseDateTime(input)).toBeNull();
  });

  it('reads back every instant it printed', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        expect(parseDateTime(date.toISOString())?.getTime()).toBe(date.getTime());
      }),
    );
  });
});
