import fc from 'fast-check';
import { canonicalJson, idempotencyKeyId, parseIdempotencyKey, requestHash } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it.each([
    ['a UUID', '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f'],
    ['one character', 'x'],
    ['255 characters', 'k'.repeat(255)],
    ['spaces and punctuation inside', 'retry #2 of call {42}'],
  ])('accepts %s', (_label, key) => {
    expect(parseIdempotencyKey(key)).toBe(key);
  });

  it.each([
    ['an empty value', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a tab', 'a\tb'],
    ['a non-ASCII letter', 'clé'],
    ['a control character', 'a\u0001b'],
    ['a repeated header', ['a', 'b']],
    ['no header', undefined],
  ])('refuses %s', (_label, header) => {
    expect(parseIdempotencyKey(header)).toBeNull();
  });
});

describe('idempotencyKeyId', () => {
  const scope = { operation: 'initiateSdkCall', organizationId: 'o1', userId: 'u1' };

  it('differs for another user, organization, operation or key', () => {
    const id = idempotencyKeyId(scope, 'k');
    expect(idempotencyKeyId({ ...scope, userId: 'u2' }, 'k')).not.toBe(id);
    expect(idempotencyKeyId({ ...scope, organizationId: 'o2' }, 'k')).not.toBe(id);
    expect(idempotencyKeyId({ ...scope, operation: 'other' }, 'k')).not.toBe(id);
    expect(idempotencyKeyId(scope, 'k2')).not.toBe(id);
    expect(idempotencyKeyId(scope, 'k')).toBe(id);
  });

  it('cannot be forged by moving characters between the parts', () => {
    expect(idempotencyKeyId({ ...scope, userId: 'u1","k' }, '')).not.toBe(idempotencyKeyId(scope, 'k'));
  });
});

describe('canonicalJson and requestHash', () => {
  it('ignore key order and undefined properties', () => {
    expect(canonicalJson({ phoneNumber: '+1', contactId: undefined, a: { z: 1, b: [2, { d: 1, c: 2 }] } })).toBe(
      '{"a":{"b":[2,{"c":2,"d":1}],"z":1},"phoneNumber":"+1"}',
    );
    expect(requestHash({ a: 1, b: 2 })).toBe(requestHash({ b: 2, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });

  it('print any two objects with the same entries the same', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
      }),
    );
  });
});
