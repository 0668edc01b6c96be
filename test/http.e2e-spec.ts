import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { newId, testUser } from './support/auth';

/** Any method, QUERY included, which supertest's agent cannot send. */
function send(method: string, url: string): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method }, (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('HTTP methods', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  // Found by the contract fuzzer: TRACE answered 404 as if the path did not exist, and QUERY
  // (a method with a body) 400 for its missing Content-Type.
  it.each([
    ['TRACE', '/api/contacts', 'POST, GET, HEAD'],
    ['QUERY', '/api/contacts', 'POST, GET, HEAD'],
    ['PUT', `/api/contacts/${newId()}`, 'GET, HEAD, PATCH, DELETE'],
    ['GET', '/api/calls/sdk/initiate', 'POST'],
  ])('answers %s %s with 405 and Allow: %s, before anything else', async (method, path, allow) => {
    // No token and no Content-Type: the method alone decides.
    const response = await send(method, `${app.url}${path}`);

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.body).toEqual({
      success: false,
      statusCode: 405,
      error: 'Method Not Allowed',
      message: `${method} is not allowed on ${path}; use ${allow}`,
    });
  });

  it('still answers 404 for a path the service does not serve', async () => {
    const response = await request(app.url).put('/api/nothing-here').set('Authorization', testUser().bearer).expect(404);

    expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Cannot PUT /api/nothing-here' });
  });
});

describe('HTTP methods, with CORS on', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ CORS_ORIGINS: 'https://dialer.example.com' });
  });
  afterAll(() => app.stop());

  // The CORS preflight answers OPTIONS on every path; that must not make every path known.
  it('still answers 404 for a path the service does not serve', async () => {
    await request(app.url).get('/api/nothing-here').set('Authorization', testUser().bearer).expect(404);
  });

  it('lists OPTIONS among the methods of a path it serves', async () => {
    const response = await send('PUT', `${app.url}/api/contacts`);

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST, GET, HEAD, OPTIONS');
  });
});
