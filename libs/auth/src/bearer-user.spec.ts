import { sign } from 'jsonwebtoken';
import { resolveJwtVerification } from './auth.options';
import { alreadyVerifiedUser, requestBearerUser, verifiedBearerUser } from './bearer-user';

const secret = 'a-secret-of-enough-length';
const verification = resolveJwtVerification({ secret, issuer: 'crm', audience: 'calls' });
const userId = '64F0A1B2C3D4E5F6A7B8C001';
const organizationId = '64f0a1b2c3d4e5f6a7b8c000';
const claims = { sub: userId, organizationId, iss: 'crm', aud: 'calls' };
const token = (payload: object = claims, key = secret, options: object = { expiresIn: 60 }) => sign(payload, key, { algorithm: 'HS256', ...options });

describe('verifiedBearerUser', () => {
  it('returns the user of a valid token, the scheme in any case', () => {
    const user = { userId: userId.toLowerCase(), organizationId };

    expect(verifiedBearerUser(verification, `Bearer ${token()}`)).toEqual(user);
    expect(verifiedBearerUser(verification, `bearer ${token()}`)).toEqual(user);
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${token()}`],
    ['a token signed with another secret', `Bearer ${token(claims, 'another-secret-of-enough-length')}`],
    ['an expired token', `Bearer ${token({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, secret, {})}`],
    ['a wrong issuer', `Bearer ${token({ ...claims, iss: 'evil' })}`],
    ['a wrong audience', `Bearer ${token({ ...claims, aud: 'billing' })}`],
    ['no organizationId', `Bearer ${token({ sub: userId, iss: 'crm', aud: 'calls' })}`],
    ['alg none', `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`],
    ['garbage', 'Bearer not.a.token'],
  ])('returns undefined for %s', (_label, header) => {
    expect(verifiedBearerUser(verification, header)).toBeUndefined();
  });
});

describe('requestBearerUser', () => {
  it('verifies a request\'s header once and answers from the request after that', () => {
    const request = { headers: { authorization: `Bearer ${token()}` } };
    const user = requestBearerUser(verification, request);

    request.headers.authorization = 'Bearer not.a.token';

    expect(user).toEqual({ userId: userId.toLowerCase(), organizationId });
    expect(requestBearerUser(verification, request)).toBe(user);
    expect(alreadyVerifiedUser(request)).toBe(user);
  });

  it('remembers a bad token as no user, and keeps each request apart', () => {
    const bad = { headers: { authorization: 'Bearer not.a.token' } };
    const good = { headers: { authorization: `Bearer ${token()}` } };

    expect(requestBearerUser(verification, bad)).toBeUndefined();
    bad.headers.authorization = `Bearer ${token()}`;

    expect(requestBearerUser(verification, bad)).toBeUndefined();
    expect(alreadyVerifiedUser(bad)).toBeUndefined();
    expect(alreadyVerifiedUser(good)).toBeUndefined();
    expect(requestBearerUser(verification, good)).toBeDefined();
  });
});
