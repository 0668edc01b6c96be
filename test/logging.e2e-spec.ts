import request from 'supertest';
import { RunningApp, startApp, TEST_JWT_SECRET } from './support/app';
import { signToken, testUser } from './support/auth';
import { LogLine, logLines } from './support/logs';

const INITIATE = '/api/calls/sdk/initiate';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The request lines of one request id, once the app has written them (it does so as the response ends). */
async function requestLines(app: RunningApp, requestId: string): Promise<LogLine[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const lines = logLines(app).filter((line) => line.requestId === requestId && 'path' in line);
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Logging', () => {
  describe('at the default level', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.stop());

    it('writes one JSON line per request with method, path, status, duration and request id', async () => {
      const requestId = `log-test-${Date.now()}`;

      const response = await request(app.url)
        .post(INITIATE)
        .set('Authorization', testUser().bearer)
        .set('X-Request-Id', requestId)
        .send({ phoneNumber: '+14165550199' })
        .expect(201);

      expect(response.headers['x-request-id']).toBe(requestId);
      expect(await requestLines(app, requestId)).toEqual([
        expect.objectContaining({ level: 'info', requestId, method: 'POST', path: INITIATE, status: 201, durationMs: expect.any(Number) }),
      ]);
    });

    it('generates a request id when none is given, and returns it', async () => {
      const response = await request(app.url).get('/api/nothing-here').expect(404);

      const requestId = response.headers['x-request-id'];
      expect(requestId).toMatch(UUID);
      expect(await requestLines(app, requestId)).toEqual([
        expect.objectContaining({ method: 'GET', path: '/api/nothing-here', status: 404, requestId }),
      ]);
    });

    it('replaces a request id that is too long to copy into every line', async () => {
      const response = await request(app.url).get('/health').set('X-Request-Id', 'x'.repeat(201)).expect(200);

      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('never logs a token, the secret, an Authorization header or a query string', async () => {
      const user = testUser();
      const forged = signToken({ sub: user.userId, organizationId: user.organizationId }, {}, 'an-attacker-secret-0123456789');
      const searched = 'Lovelace-private-search';

      await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);
      await request(app.url).post(INITIATE).set('Authorization', `Bearer ${forged}`).send({ phoneNumber: '+14165550199' }).expect(401);
      await request(app.url).get(`/api/contacts?q=${searched}`).set('Authorization', user.bearer).set('Cookie', 'session=s3cr3t').expect(200);
      const last = await request(app.url).get('/api/contacts').set('Authorization', 'Basic dXNlcjpwYXNzd29yZA==').expect(401);
      await requestLines(app, last.headers['x-request-id']);

      const output = app.output();
      for (const secret of [user.token, forged, TEST_JWT_SECRET, 'dXNlcjpwYXNzd29yZA==', 's3cr3t', searched]) {
        expect(output).not.toContain(secret);
      }
      expect(output).not.toMatch(/authorization|bearer/i);
      expect(logLines(app).filter((line) => line.path === '/api/contacts')).toHaveLength(2);
    });
  });

  it('LOG_LEVEL=warn leaves out the lines of successful requests', async () => {
    const app = await startApp({ LOG_LEVEL: 'warn' });
    try {
      const response = await request(app.url).post(INITIATE).set('Authorization', testUser().bearer).send({ phoneNumber: '+14165550199' }).expect(201);
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(logLines(app).filter((line) => line.requestId === response.headers['x-request-id'])).toEqual([]);
      expect(logLines(app).filter((line) => line.level === 'info' || line.level === 'debug')).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  it('prints pretty lines, not JSON, in development', async () => {
    const app = await startApp({ NODE_ENV: 'development' });
    try {
      await request(app.url).get('/api/nothing-here').expect(404);
      const deadline = Date.now() + 3000;
      while (!app.output().includes('GET /api/nothing-here 404') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      const line = app.output().split('\n').find((text) => text.includes('GET /api/nothing-here 404'));
      expect(line).toBeDefined();
      expect(line).toMatch(/INFO/);
      expect(() => JSON.parse(line!)).toThrow();
    } finally {
      await app.stop();
    }
  });
});
