import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';
import { ace, sendCallback, SINCH_WEBHOOK } from './support/sinch';

const INITIATE = '/api/calls/sdk/initiate';
const CONTACTS = '/api/contacts';

/** `{"a":{"a":...}}` nested `depth` objects deep: far below the 100 KB limit even at thousands. */
const nested = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** Sends raw bytes, which supertest would re-encode. */
function sendRaw(
  url: string,
  method: string,
  body: Buffer | string | undefined,
  headers: Record<string, string | number>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers: { connection: 'close', ...headers } }, (incoming) => {
      let text = '';
      incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Writes bytes on a bare socket and resolves with the whole answer as text. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

const errorBody = (statusCode: number, error: string, message: string | RegExp) => ({
  success: false,
  statusCode,
  error,
  message: typeof message === 'string' ? message : expect.stringMatching(message),
});

describe('Request bodies', () => {
  let app: RunningApp;
  const user = testUser();

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  afterEach(() => app.clean());

  describe('nested too deeply', () => {
    const deep = errorBody(400, 'Bad Request', 'Request body is nested too deeply (more than 32 levels)');

    it.each([
      ['POST', INITIATE],
      ['POST', CONTACTS],
      ['PATCH', `${CONTACTS}/5f0000000000000000000001`],
    ])('%s %s answers 400 in the error shape, before validation', async (method, path) => {
      const response = await sendRaw(`${app.url}${path}`, method, nested(2000), {
        authorization: user.bearer,
        'content-type': 'application/json',
      });

      expect(response).toEqual({ status: 400, body: deep });
    });

    it('answers a signed provider callback the same, and the signature still covers the raw body', async () => {
      const refused = await sendCallback(app, nested(2000));
      const accepted = await sendCallback(app, ace('sinch-call-depth'));

      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(deep);
      expect(accepted.status).toBe(200);
    });

    it('lets 32 levels through to validation', async () => {
      const response = await sendRaw(`${app.url}${CONTACTS}`, 'POST', nested(32), { authorization: user.bearer, 'content-type': 'application/json' });

      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/property a should not exist/);
    });

    it('keeps /health answering while deep bodies arrive, and refuses every one of them with 400', async () => {
      // Before the fix each of these overflowed class-transformer's stack (a 500) after ~100 ms of
      // blocked event loop. Twenty in flight at once, with health probes sent among them.
      const body = nested(3000);
      const deepOnes = Array.from({ length: 20 }, () =>
        sendRaw(`${app.url}${INITIATE}`, 'POST', body, { authorization: user.bearer, 'content-type': 'application/json' }),
      );
      const probes = Array.from({ length: 5 }, () => sendRaw(`${app.url}/health`, 'GET', undefined, {}));

      const [deepAnswers, probeAnswers] = await Promise.all([Promise.all(deepOnes), Promise.all(probes)]);

      expect(deepAnswers.map((answer) => answer.status)).toEqual(Array(20).fill(400));
      expect(probeAnswers.map((answer) => answer.status)).toEqual(Array(5).fill(200));
    });
  });

  describe('that are not JSON', () => {
    const notJson = errorBody(415, 'Unsupported Media Type', 'Request body must be application/json');

    it.each([
      ['POST', INITIATE, 'phoneNumber=%2B14165550199'],
      ['POST', CONTACTS, 'name=Ann&phoneNumber=%2B14165550199'],
      ['PATCH', `${CONTACTS}/5f0000000000000000000001`, 'name=Ann'],
      ['POST', SINCH_WEBHOOK, 'event=ace'],
    ])('%s %s answers a form body with 415', async (method, path, form) => {
      const response = await sendRaw(`${app.url}${path}`, method, form, {
        authorization: user.bearer,
        'content-type': 'application/x-www-form-urlencoded',
      });

      expect(response).toEqual({ status: 415, body: notJson });
      expect(await app.db.collection('calls').countDocuments()).toBe(0);
      expect(await app.db.collection('contacts').countDocuments()).toBe(0);
    });

    it('answers a form body to a signed provider callback with 415', async () => {
      const response = await sendCallback(app, 'event=ace', { contentType: 'application/x-www-form-urlencoded' });

      expect(response.status).toBe(415);
      expect(response.body).toEqual(notJson);
    });
  });

  it('answers a JSON body that is not valid UTF-8 with 400', async () => {
    const body = Buffer.concat([Buffer.from('{"phoneNumber":"+14165550199","name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);

    const response = await sendRaw(`${app.url}${CONTACTS}`, 'POST', body, { authorization: user.bearer, 'content-type': 'application/json' });

    expect(response).toEqual({ status: 400, body: errorBody(400, 'Bad Request', 'Request body is not valid UTF-8') });
    expect(await app.db.collection('contacts').countDocuments()).toBe(0);
  });

  it.each([
    ['a contact first name', CONTACTS, 'POST', { firstName: 'Ann\u0000Lee', phoneNumber: '+14165550199' }],
    ['a contact company, escaped in the JSON text', CONTACTS, 'POST', '{"firstName":"Ann","phoneNumber":"+14165550199","company":"a\\u0000b"}'],
    ['a key', CONTACTS, 'POST', { firstName: 'Ann', 'x\u0000': 1 }],
    ['a call report', '/api/calls/5f0000000000000000000001', 'PATCH', { endReason: 'hung\u0000up' }],
  ])('refuses the NUL character in %s with 400', async (_label, path, method, body) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);

    const response = await sendRaw(`${app.url}${path}`, method, text, { authorization: user.bearer, 'content-type': 'application/json' });

    expect(response).toEqual({
      status: 400,
      body: errorBody(400, 'Bad Request', 'Text in the request body must not contain the NUL character (\\u0000)'),
    });
    expect(await app.db.collection('contacts').countDocuments()).toBe(0);
  });

  it('refuses the NUL character in a query parameter with 400', async () => {
    const response = await sendRaw(`${app.url}${CONTACTS}?q=Ann%00Lee`, 'GET', undefined, { authorization: user.bearer });

    expect(response).toEqual({ status: 400, body: errorBody(400, 'Bad Request', 'Query parameters must not contain the NUL character (\\u0000)') });
  });

  it('accepts a DELETE that says application/json and sends no body', async () => {
    const created = await request(app.url).post(CONTACTS).set('Authorization', user.bearer).send({ firstName: 'Ann', phoneNumber: '+14165550199' }).expect(201);

    const response = await sendRaw(`${app.url}${CONTACTS}/${created.body.contact._id}`, 'DELETE', undefined, {
      authorization: user.bearer,
      'content-type': 'application/json',
      'content-length': 0,
    });

    expect(response).toEqual({ status: 204, body: {} });
  });

  it('still answers a POST that says application/json and sends no body with 400', async () => {
    const response = await sendRaw(`${app.url}${CONTACTS}`, 'POST', undefined, {
      authorization: user.bearer,
      'content-type': 'application/json',
      'content-length': 0,
    });

    expect(response).toEqual({ status: 400, body: errorBody(400, 'Bad Request', 'The request body must be a JSON object') });
  });

  describe('framing the HTTP parser refuses', () => {
    it('answers headers too large with 431 in the error shape', async () => {
      const answer = await rawExchange(app.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);

      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(
        errorBody(431, 'Request Header Fields Too Large', 'Request headers are too large'),
      );
    });

    it('answers a malformed request with 400 in the error shape', async () => {
      const answer = await rawExchange(app.url, 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');

      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(errorBody(400, 'Bad Request', 'Malformed HTTP request'));
    });
  });
});
