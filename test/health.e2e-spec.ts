import request from 'supertest';
import { freePort, RunningApp, startApp } from './support/app';
import { expectContract } from './support/contract';

describe('GET /health and GET /health/ready', () => {
  describe('with the database up', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.stop());

    it('GET /health answers 200 without a token', async () => {
      const response = await request(app.url).get('/health').expect(200);

      expectContract('get', '/health', response);
      expect(response.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
      expect(response.headers['cache-control']).toBe('no-store');
    });

    // Answered by Fastify alone (health/liveness.ts): the headers every answer carries must still be there.
    it('GET /health carries the request id, the security headers and the JSON type like every other answer, and HEAD answers alike', async () => {
      const response = await request(app.url).get('/health').set('X-Request-Id', 'probe-42').expect(200);

      expect(response.headers['x-request-id']).toBe('probe-42');
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      const head = await request(app.url).head('/health').expect(200);
      expect(head.headers['cache-control']).toBe('no-store');
      expect(head.headers['content-length']).toBe(response.headers['content-length']);
    });

    it('GET /health/ready answers 200 once the database answers a ping', async () => {
      const response = await request(app.url).get('/health/ready').expect(200);

      expectContract('get', '/health/ready', response);
      expect(response.body).toEqual({
        status: 'ok',
        info: { database: { status: 'up', responseTime: expect.any(Number) } },
        error: {},
        details: { database: { status: 'up', responseTime: expect.any(Number) } },
      });
    });

    it('is served outside the /api prefix only', async () => {
      await request(app.url).get('/api/health').expect(404);
      await request(app.url).get('/api/health/ready').expect(404);
    });
  });

  describe('with no database to be reached', () => {
    let app: RunningApp;

    beforeAll(async () => {
      // Nothing listens on this port: the service starts anyway, live but not ready.
      app = await startApp({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/calls` }, { waitFor: 'live' });
    });
    afterAll(() => app.stop());

    it('GET /health still answers 200: liveness does not depend on the database', async () => {
      await request(app.url).get('/health').expect(200);
    });

    it('GET /health/ready answers 503 in the one error shape, with the reason', async () => {
      const started = Date.now();
      const response = await request(app.url).get('/health/ready').expect(503);

      expect(Date.now() - started).toBeLessThan(2500);
      expectContract('get', '/health/ready', response);
      expect(response.body).toEqual({
        success: false,
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/^Not ready: database: .+/),
      });
    });
  });
});
