import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';

const INITIATE = '/api/calls/sdk/initiate';
const DIALER = 'https://dialer.example.com';

const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('HTTP security', () => {
  describe('with CORS_ORIGINS set', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ CORS_ORIGINS: `${DIALER},http://localhost:5173` });
    });
    afterAll(() => app.stop());

    const preflight = (origin: string) =>
      request(app.url)
        .options(INITIATE)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');

    it('answers the preflight of an allowed origin', async () => {
      const response = await preflight(DIALER).expect(204);

      expect(response.headers['access-control-allow-origin']).toBe(DIALER);
      expect(response.headers['access-control-allow-methods']).toContain('POST');
      expect(response.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(response.headers['access-control-allow-headers']).toMatch(/Content-Type/);
    });

    it('lets an allowed origin call the API with its bearer token and read the request id', async () => {
      const response = await request(app.url)
        .post(INITIATE)
        .set('Origin', 'http://localhost:5173')
        .set('Authorization', testUser().bearer)
        .send({ phoneNumber: '+14165550199' })
        .expect(201);

      expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(response.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
      expect(response.headers.vary).toMatch(/Origin/);
    });

    it('gives any other origin no CORS headers, preflight or not', async () => {
      const refused = await preflight('https://evil.example.com');
      const simple = await request(app.url).get('/api/contacts').set('Origin', 'https://dialer.example.com.evil.example').set('Authorization', testUser().bearer);

      expect(corsHeaders(refused.headers)).toEqual([]);
      expect(refused.status).not.toBe(204);
      expect(simple.status).toBe(200);
      expect(corsHeaders(simple.headers)).toEqual([]);
    });

    it('sets security headers on API answers', async () => {
      const response = await request(app.url).get('/health').expect(200);

      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
        'content-security-policy': expect.stringContaining("default-src 'self'"),
      });
    });

    it('keeps Swagger UI working: every script comes from this origin, which the policy allows', async () => {
      const response = await request(app.url).get('/api/docs/').expect(200);
      const policy = String(response.headers['content-security-policy']);
      const scripts = [...response.text.matchAll(/<script([^>]*)>/g)].map((match) => match[1]);

      expect(policy).toMatch(/script-src 'self'/);
      expect(policy).not.toMatch(/upgrade-insecure-requests/);
      expect(scripts.length).toBeGreaterThan(0);
      for (const attributes of scripts) expect(attributes).toMatch(/src="\.\//);
      await request(app.url).get('/api/docs/swagger-ui-init.js').expect(200);
    });
  });

  describe('without CORS_ORIGINS', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.stop());

    it('answers no origin with CORS headers', async () => {
      const response = await request(app.url)
        .options(INITIATE)
        .set('Origin', DIALER)
        .set('Access-Control-Request-Method', 'POST');

      expect(corsHeaders(response.headers)).toEqual([]);
    });
  });
});
