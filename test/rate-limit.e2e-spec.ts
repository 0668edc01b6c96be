import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { signToken, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { notify, sendCallback } from './support/sinch';

const CONTACTS = '/api/contacts';
const INITIATE = '/api/calls/sdk/initiate';
const LIMIT = 3;

describe('RateLimitGuard', () => {
  describe(`with THROTTLE_LIMIT=${LIMIT} per minute`, () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ THROTTLE_LIMIT: String(LIMIT), THROTTLE_TTL_MS: '60000' });
    });
    afterAll(() => app.stop());

    const list = (bearer: string) => request(app.url).get(CONTACTS).set('Authorization', bearer);

    it('answers 429 with Retry-After in the one error shape once a user is over the limit, on any route', async () => {
      const user = testUser();
      await list(user.bearer).expect(200);
      await list(user.bearer).expect(200);
      await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);

      const response = await list(user.bearer).expect(429);

      expectContract('get', CONTACTS, response);
      expect(response.body).toEqual({
        success: false,
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^Too many requests; try again in \d+ s$/),
      });
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(429);
    });

    it('tells each answer how much of the window is left: the limit, what remains of it and the seconds until it resets', async () => {
      const user = testUser();
      const answers = [];
      for (let i = 0; i < LIMIT; i++) answers.push(await list(user.bearer).expect(200));

      expect(answers.map((answer) => answer.headers['x-ratelimit-limit'])).toEqual([String(LIMIT), String(LIMIT), String(LIMIT)]);
      expect(answers.map((answer) => answer.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0']);
      for (const answer of answers) {
        expect(Number(answer.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(55);
        expect(Number(answer.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
      }
      const limited = await list(user.bearer).expect(429);
      expect(limited.headers['x-ratelimit-remaining']).toBeUndefined();
      expect(Number(limited.headers['retry-after'])).toBe(60);
    });

    it('counts each user on their own, in the same organization too', async () => {
      const first = testUser();
      const colleague = testUser(first.organizationId);
      for (let i = 0; i < LIMIT; i++) await list(first.bearer).expect(200);
      await list(first.bearer).expect(429);

      await list(colleague.bearer).expect(200);
    });

    it('limits requests without a valid token by IP address, and a forged token spends none of its user\'s budget', async () => {
      const user = testUser();
      const forged = signToken({ sub: user.userId, organizationId: user.organizationId }, {}, 'an-attacker-secret-0123456789');
      for (let i = 0; i < LIMIT; i++) await list(`Bearer ${forged}`).expect(401);

      const limited = await list(`Bearer ${forged}`).expect(429);
      await request(app.url).get(CONTACTS).expect(429);

      expect(limited.body.statusCode).toBe(429);
      await list(user.bearer).expect(200);
    });

    it('never limits signed provider callbacks, which come from a few provider addresses', async () => {
      for (let i = 0; i < LIMIT * 3; i++) {
        await sendCallback(app, notify(`limit-${i}`, 'some_other_notification', '')).expect(200);
      }
    });

    it('never limits the health probes, even for an address over the limit', async () => {
      for (let i = 0; i < LIMIT * 3; i++) {
        await request(app.url).get('/health').expect(200);
        await request(app.url).get('/health/ready').expect(200);
      }
    });
  });

  describe('with TRUST_PROXY=loopback (the test client is the proxy)', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ THROTTLE_LIMIT: String(LIMIT), THROTTLE_TTL_MS: '60000', TRUST_PROXY: 'loopback' });
    });
    afterAll(() => app.stop());

    const anonymous = (client: string) => request(app.url).get(CONTACTS).set('X-Forwarded-For', client);

    it('counts unauthenticated requests per client address from X-Forwarded-For, not per proxy', async () => {
      for (let i = 0; i < LIMIT; i++) await anonymous('203.0.113.1').expect(401);
      await anonymous('203.0.113.1').expect(429);

      await anonymous('203.0.113.2').expect(401);
    });

    // Found by the probe of issue 16: callbacks skipped the limit whatever their signature, so anyone
    // could make the service check signatures without end.
    it('limits badly signed and unsigned provider callbacks per address, and never signed ones', async () => {
      const client = '203.0.113.10';
      const badlySigned = () =>
        sendCallback(app, notify('limit-bad', 'some_other_notification', ''), { credentials: { applicationKey: '669e367e-6bba-48ab-af15-266871c28135', applicationSecret: 'AAAAAAAAAAAAAAAAAAAAAA==' } })
          .set('X-Forwarded-For', client);
      const unsigned = () => request(app.url).post('/api/calls/webhooks/sinch').set('X-Forwarded-For', client).send(notify('limit-unsigned', 'some_other_notification', ''));

      await badlySigned().expect(401);
      await unsigned().expect(401);
      await badlySigned().expect(401);
      const limited = await unsigned().expect(429);
      await badlySigned().expect(429);

      expect(limited.body).toEqual({
        success: false,
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^Too many requests; try again in \d+ s$/),
      });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      for (let i = 0; i < LIMIT * 2; i++) {
        await sendCallback(app, notify(`limit-signed-${i}`, 'some_other_notification', '')).set('X-Forwarded-For', client).expect(200);
      }
    });
  });

  describe('without TRUST_PROXY', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ THROTTLE_LIMIT: String(LIMIT), THROTTLE_TTL_MS: '60000' });
    });
    afterAll(() => app.stop());

    it('ignores X-Forwarded-For, which any client can send', async () => {
      for (let i = 0; i < LIMIT; i++) await request(app.url).get(CONTACTS).set('X-Forwarded-For', `198.51.100.${i}`).expect(401);

      await request(app.url).get(CONTACTS).set('X-Forwarded-For', '198.51.100.200').expect(429);
    });
  });

  it('lets a user in again once THROTTLE_TTL_MS has passed', async () => {
    const app = await startApp({ THROTTLE_LIMIT: '1', THROTTLE_TTL_MS: '1000' });
    try {
      const user = testUser();
      await request(app.url).get(CONTACTS).set('Authorization', user.bearer).expect(200);
      const limited = await request(app.url).get(CONTACTS).set('Authorization', user.bearer).expect(429);
      expect(limited.headers['retry-after']).toBe('1');

      await new Promise((resolve) => setTimeout(resolve, 1200));

      await request(app.url).get(CONTACTS).set('Authorization', user.bearer).expect(200);
    } finally {
      await app.stop();
    }
  });
});
