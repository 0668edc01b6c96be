import request from 'supertest';
import { generateKeyPairSync } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { RunningApp, startApp, TEST_JWT_SECRET } from './support/app';
import { newId, signToken } from './support/auth';
import { expectContract } from './support/contract';

const INITIATE = '/api/calls/sdk/initiate';
const body = { phoneNumber: '+14165550199' };

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('JwtAuthGuard', () => {
  describe('with an HS256 secret', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.stop());

    const claims = () => ({ sub: newId(), organizationId: newId() });

    const rejected: [string, () => string, string][] = [
      ['a bad signature', () => signToken(claims(), {}, 'another-secret-0123456789abcdef'), 'Invalid bearer token'],
      ['an expired token', () => signToken({ ...claims(), exp: Math.floor(Date.now() / 1000) - 60 }), 'Token has expired'],
      ['alg none', () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`, 'Invalid bearer token'],
      ['no organizationId', () => signToken({ sub: newId() }), 'Token has no valid organizationId claim'],
      ['no sub', () => signToken({ organizationId: newId() }), 'Token has no valid sub (user id) claim'],
      ['a sub that is not an id', () => signToken({ sub: 'alice', organizationId: newId() }), 'Token has no valid sub (user id) claim'],
      ['an organizationId that is an object', () => signToken({ sub: newId(), organizationId: { $ne: null } }), 'Token has no valid organizationId claim'],
      ['garbage', () => 'not.a.token', 'Invalid bearer token'],
      ['no exp', () => sign(claims(), TEST_JWT_SECRET, { algorithm: 'HS256' }), 'Token has no exp (expiry) claim'],
      ['a lifetime over JWT_MAX_TTL (24 h by default)', () => signToken(claims(), { expiresIn: '25h' }), 'Token lives longer than the 86400 s allowed'],
      [
        'a lifetime over JWT_MAX_TTL without iat',
        () => sign({ ...claims(), exp: Math.floor(Date.now() / 1000) + 25 * 3600 }, TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true }),
        'Token lives longer than the 86400 s allowed',
      ],
      [
        'a lifetime over JWT_MAX_TTL hidden by an iat in the future',
        () => signToken({ ...claims(), iat: Math.floor(Date.now() / 1000) + 24 * 3600, exp: Math.floor(Date.now() / 1000) + 25 * 3600 }),
        'Token lives longer than the 86400 s allowed',
      ],
      [
        'a crit header',
        () => signToken(claims(), { header: { alg: 'HS256', crit: ['exp'] } as never }),
        'Token has a crit header, which is not supported',
      ],
    ];

    it.each(rejected)('answers 401 for %s', async (_label, token, message) => {
      const response = await request(app.url).post(INITIATE).set('Authorization', `Bearer ${token()}`).send(body).expect(401);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message });
      expect(await app.db.collection('calls').countDocuments()).toBe(0);
    });

    it('answers 401 for a scheme other than Bearer', async () => {
      const response = await request(app.url).post(INITIATE).set('Authorization', `Basic ${signToken(claims())}`).send(body).expect(401);

      expect(response.body.message).toBe('Missing bearer token');
    });

    it('accepts a valid token', async () => {
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${signToken(claims())}`).send(body).expect(201);
    });

    it('accepts a token of exactly 24 h, and one without iat that expires within 24 h', async () => {
      const noIat = sign({ ...claims(), exp: Math.floor(Date.now() / 1000) + 3600 }, TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true });

      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${signToken(claims(), { expiresIn: '24h' })}`).send(body).expect(201);
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${noIat}`).send(body).expect(201);
    });
  });

  describe('with JWT_MAX_TTL=15m', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ JWT_MAX_TTL: '15m' });
    });
    afterAll(() => app.stop());

    it('refuses a token of an hour and accepts one of 15 minutes', async () => {
      const claims = { sub: newId(), organizationId: newId() };

      const refused = await request(app.url).post(INITIATE).set('Authorization', `Bearer ${signToken(claims, { expiresIn: '1h' })}`).send(body).expect(401);
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${signToken(claims, { expiresIn: '15m' })}`).send(body).expect(201);

      expect(refused.body.message).toBe('Token lives longer than the 900 s allowed');
    });
  });

  describe('with an RS256 public key, issuer and audience', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ JWT_SECRET: undefined, JWT_PUBLIC_KEY: publicPem, JWT_ISSUER: 'https://crm.example.com', JWT_AUDIENCE: 'calls' });
    });
    afterAll(() => app.stop());

    const rs256 = (extra: object = {}) =>
      sign({ sub: newId(), organizationId: newId(), iss: 'https://crm.example.com', aud: 'calls', ...extra }, privateKey, {
        algorithm: 'RS256',
        expiresIn: '5m',
      });

    it('accepts a token signed with the private key', async () => {
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${rs256()}`).send(body).expect(201);
    });

    it.each([
      ['a wrong issuer', () => rs256({ iss: 'https://evil.example.com' })],
      ['a wrong audience', () => rs256({ aud: 'billing' })],
      // The classic confusion attack: HS256 "signed" with the public key as the secret.
      ['HS256 signed with the public key', () => sign({ sub: newId(), organizationId: newId(), iss: 'https://crm.example.com', aud: 'calls' }, publicPem, { algorithm: 'HS256' })],
      ['HS256 signed with the test secret', () => signToken({ sub: newId(), organizationId: newId(), iss: 'https://crm.example.com', aud: 'calls' }, {}, TEST_JWT_SECRET)],
    ])('answers 401 for %s', async (_label, token) => {
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${token()}`).send(body).expect(401);
    });
  });
});
