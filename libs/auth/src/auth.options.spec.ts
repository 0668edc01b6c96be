import { generateKeyPairSync } from 'node:crypto';
import { resolveJwtVerification } from './auth.options';

const pem = (type: 'rsa' | 'ec' | 'ed25519') => {
  const options = type === 'rsa' ? { modulusLength: 2048 } : type === 'ec' ? { namedCurve: 'P-256' } : {};
  // generateKeyPairSync's overloads are per key type; the union is enough here.
  const { publicKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
};

describe('resolveJwtVerification', () => {
  it('pins HS256 for a secret', () => {
    const verification = resolveJwtVerification({ secret: 'a-secret-of-enough-length', issuer: 'crm' });

    expect(verification).toMatchObject({ algorithm: 'HS256', issuer: 'crm' });
    expect(verification.key.type).toBe('secret');
  });

  it('pins RS256 for an RSA key and ES256 for an EC key, over any secret', () => {
    expect(resolveJwtVerification({ publicKey: pem('rsa'), secret: 'ignored-secret-value' }).algorithm).toBe('RS256');
    expect(resolveJwtVerification({ publicKey: pem('ec') }).algorithm).toBe('ES256');
  });

  it('refuses other key types and no key at all', () => {
    expect(() => resolveJwtVerification({ publicKey: pem('ed25519') })).toThrow('RSA or EC');
    expect(() => resolveJwtVerification({})).toThrow('JWT_SECRET or JWT_PUBLIC_KEY');
  });
});
