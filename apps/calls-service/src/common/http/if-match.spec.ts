import { ifMatches, parseIfMatch } from './if-match';

describe('parseIfMatch', () => {
  it.each([
    ['*', { any: true }],
    ['"3"', { tags: ['"3"'] }],
    [' "3" , "4"', { tags: ['"3"', '"4"'] }],
    ['W/"3"', { tags: [] }],
    ['W/"3", "4"', { tags: ['"4"'] }],
    // Empty list elements are accepted and ignored (RFC 9110, 5.6.1).
    ['"3",', { tags: ['"3"'] }],
    ['"3", ,"4"', { tags: ['"3"', '"4"'] }],
  ])('reads %j', (header, parsed) => {
    expect(parseIfMatch(header)).toEqual(parsed);
  });

  it.each(['3', '', ' , ', '"3', '"3" "4"', '*, "3"', '"a"b"'])('refuses %j', (header) => {
    expect(parseIfMatch(header)).toBeNull();
  });

  it('is undefined without the header', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
  });
});

describe('ifMatches', () => {
  it('matches the current tag, any tag for *, and never a weak one', () => {
    expect(ifMatches({ any: true }, '"7"')).toBe(true);
    expect(ifMatches({ tags: ['"6"', '"7"'] }, '"7"')).toBe(true);
    expect(ifMatches({ tags: ['"6"'] }, '"7"')).toBe(false);
    expect(ifMatches(parseIfMatch('W/"7"')!, '"7"')).toBe(false);
  });
});

