import { parseTrustProxy } from './trust-proxy';

describe('parseTrustProxy', () => {
  it.each([
    ['false', false],
    ['true', true],
    ['0', 0],
    ['2', 2],
    ['10.0.0.1', ['10.0.0.1']],
    ['10.0.0.0/8, 192.168.1.0/24', ['10.0.0.0/8', '192.168.1.0/24']],
    ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
    ['::1', ['::1']],
  ])('reads %p as %p', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it.each(['', 'yes', '10.0.0.0/33', '::/129', 'example.com', '10.0.0.1/8/8', '-1', '1.5'])('refuses %p', (value) => {
    expect(parseTrustProxy(value)).toBeNull();
  });
});
