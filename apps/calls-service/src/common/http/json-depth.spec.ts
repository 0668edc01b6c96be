import { isNestedTooDeeply, MAX_JSON_DEPTH } from './json-depth';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

describe('isNestedTooDeeply', () => {
  it.each([
    ['objects at the limit', `${'{"a":'.repeat(MAX_JSON_DEPTH - 1)}{}${'}'.repeat(MAX_JSON_DEPTH - 1)}`],
    ['arrays at the limit', nested(MAX_JSON_DEPTH)],
    ['brackets inside strings', JSON.stringify({ a: '[[[[{{{{'.repeat(100) })],
    ['escaped quotes inside strings', JSON.stringify({ a: '"[[[[\\"'.repeat(100) })],
    ['many siblings', `[${Array(1000).fill('[]').join(',')}]`],
  ])('lets %s through', (_label, text) => {
    expect(isNestedTooDeeply(Buffer.from(text))).toBe(false);
  });

  it.each([
    ['arrays one level too deep', nested(MAX_JSON_DEPTH + 1)],
    ['objects 100 000 levels deep', nested(100_000, '{"a":', '}')],
  ])('refuses %s', (_label, text) => {
    expect(isNestedTooDeeply(Buffer.from(text))).toBe(true);
  });
});
