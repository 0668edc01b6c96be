import { pathOf, requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc-123', 'Root=1-67891233-abcdef012345678912345678', 'x'.repeat(200)])('keeps %s', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it('takes the first of repeated headers', () => {
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it.each([
    ['no header', undefined],
    ['an empty one', ''],
    ['one too long', 'x'.repeat(201)],
    ['one with a space', 'two words'],
    ['one with a line break', 'id\nforged log line'],
    ['one with non-ASCII', 'idé'],
  ])('generates a UUID for %s', (_label, header) => {
    expect(requestIdFrom(header)).toMatch(UUID);
  });

  it('generates a different id each time', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe('pathOf', () => {
  it.each([
    ['/api/contacts?q=ada+lovelace', '/api/contacts'],
    ['/api/calls/sdk/initiate', '/api/calls/sdk/initiate'],
    ['/health?', '/health'],
    [undefined, '/'],
  ])('%s is logged as %s', (url, path) => {
    expect(pathOf(url)).toBe(path);
  });
});
