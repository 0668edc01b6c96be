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
    ['2026-11-27T10:00:00-00:00', '2026-11-27T10:00:00.000Z'],
    // Found by the contract fuzzer: valid RFC 3339, yet refused (Date.UTC reads years 0 to 99 as 19xx).
    ['0056-10-12T21:19:16+14:08', '0056-10-12T07:11:16.000Z'],
    ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2026-11-27T10:00:00.1234567890Z', '2026-11-27T10:00:00.123Z'],
    // A leap second is read as the second after 23:59:59 UTC.
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
    ['2017-01-01T01:59:60.5+02:00', '2017-01-01T00:00:00.500Z'],
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
    ['29 February of a century that is no leap year', '2100-02-29T00:00:00Z'],
    ['second 60 anywhere but the end of a UTC day', '2026-11-27T10:00:60Z'],
    ['an offset of 24 hours', '2026-11-27T10:00:00+24:00'],
    ['an offset minute of 60', '2026-11-27T10:00:00+14:60'],
    ['a fraction without digits', '2026-11-27T10:00:00.Z'],
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
      fc.property(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        expect(parseDateTime(date.toISOString())?.getTime()).toBe(date.getTime());
      }),
    );
  });
});
