import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { decode, verify } from 'jsonwebtoken';
import { createRegistrationToken, deriveSigningKey, keyDate, SDK_TOKEN_TTL_SECONDS } from './sinch-token';

// The worked example in Sinch's "application authentication" docs.
const example = {
  credentials: { applicationKey: 'a32e5a8d-f7d8-411c-9645-9038e8dd051d', applicationSecret: 'ax8hTTQJF0OPXL32r1LHMA==' },
  userId: 'foo',
  nonce: '6b438bda-2d5c-4e8c-92b0-39f20a94b34e',
  now: new Date('2018-01-02T03:04:05Z'),
  signingKey: 'AZj5EsS8S7wb06xr5jERqPHsraQt3w/+Ih5EfrhisBQ=',
  jwt:
    'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDE4MDEwMiJ9.' +
    'eyJpc3MiOiIvL3J0Yy5zaW5jaC5jb20vYXBwbGljYXRpb25zL2EzMmU1YThkLWY3ZDgtNDExYy05NjQ1LTkwMzhlOGRkMDUxZCIsInN1YiI6Ii8vcnRjLnNpbmNoLmNvbS9hcHBsaWNhdGlvbnMvYTMyZTVhOGQtZjdkOC00MTFjLTk2NDUtOTAzOGU4ZGQwNTFkL3VzZXJzL2ZvbyIsImlhdCI6MTUxNDg2MjI0NSwiZXhwIjoxNTE0ODYyODQ1LCJub25jZSI6IjZiNDM4YmRhLTJkNWMtNGU4Yy05MmIwLTM5ZjIwYTk0YjM0ZSJ9.' +
    'EUltTTD4fxhkwCgLgj6qSQXKawpwQ952Ywm3OwQSARo',
};

/** The docs' formula, written out again here so the test does not trust the code under test. */
const signingKeyByHand = (secret: string, yyyymmdd: string) => createHmac('sha256', Buffer.from(secret, 'base64')).update(Buffer.from(yyyymmdd, 'utf8')).digest();

describe('Sinch SDK registration token', () => {
  describe('the worked example in Sinch\'s docs', () => {
    it('derives the published signing key', () => {
      expect(deriveSigningKey(example.credentials.applicationSecret, example.now).toString('base64')).toBe(example.signingKey);
      expect(signingKeyByHand(example.credentials.applicationSecret, '20180102').toString('base64')).toBe(example.signingKey);
    });

    it('makes the published JWT, byte for byte', () => {
      const { token, expiresAt } = createRegistrationToken(example.credentials, example.userId, example.now, { nonce: example.nonce });

      expect(token).toBe(example.jwt);
      expect(expiresAt).toEqual(new Date('2018-01-02T03:14:05Z'));
    });
  });

  it('names today\'s UTC date, not the local one', () => {
    expect(keyDate(new Date('2026-11-27T23:59:59Z'))).toBe('20261127');
    expect(keyDate(new Date('2026-11-28T00:00:00Z'))).toBe('20261128');
  });

  it('carries the header and claims the SDK expects, signed with the day\'s derived key', () => {
    const credentials = { applicationKey: '669E367E-6BBA-48AB-AF15-266871C28135', applicationSecret: 'BeIukql3pTKJ8RGL5zo0DA==' };
    const now = new Date('2026-11-27T10:00:00.600Z');

    const { token, expiresAt } = createRegistrationToken(credentials, '64f0a1b2c3d4e5f6a7b8c001', now);

    const decoded = decode(token, { complete: true });
    expect(decoded?.header).toEqual({ alg: 'HS256', kid: 'hkdfv1-20261127' });
    const iat = Math.floor(now.getTime() / 1000);
    expect(decoded?.payload).toEqual({
      iss: '//rtc.sinch.com/applications/669E367E-6BBA-48AB-AF15-266871C28135',
      sub: '//rtc.sinch.com/applications/669E367E-6BBA-48AB-AF15-266871C28135/users/64f0a1b2c3d4e5f6a7b8c001',
      iat,
      exp: iat + SDK_TOKEN_TTL_SECONDS,
      nonce: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(expiresAt.getTime()).toBe((iat + SDK_TOKEN_TTL_SECONDS) * 1000);
    expect(() => verify(token, signingKeyByHand(credentials.applicationSecret, '20261127'), { algorithms: ['HS256'], clockTimestamp: iat })).not.toThrow();
    expect(() => verify(token, signingKeyByHand(credentials.applicationSecret, '20261126'), { algorithms: ['HS256'], clockTimestamp: iat })).toThrow('invalid signature');
    expect(() => verify(token, Buffer.from(credentials.applicationSecret, 'base64'), { algorithms: ['HS256'], clockTimestamp: iat })).toThrow('invalid signature');
  });

  it('uses a fresh nonce for every token', () => {
    const credentials = example.credentials;
    const nonces = new Set(Array.from({ length: 50 }, () => (decode(createRegistrationToken(credentials, 'u', example.now).token) as { nonce: string }).nonce));

    expect(nonces.size).toBe(50);
  });

  it('verifies with the key the docs\' formula gives, for any secret, user and day', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        (secretBytes, userId, now) => {
          const applicationSecret = Buffer.from(secretBytes).toString('base64');
          const { token } = createRegistrationToken({ applicationKey: 'key', applicationSecret }, userId, now);
          const day = now.toISOString().slice(0, 10).replace(/-/g, '');
          const claims = verify(token, signingKeyByHand(applicationSecret, day), { algorithms: ['HS256'], clockTimestamp: Math.floor(now.getTime() / 1000) });
          expect(claims).toMatchObject({ sub: `//rtc.sinch.com/applications/key/users/${userId}` });
        },
      ),
    );
  });
});
