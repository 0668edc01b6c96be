import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { CallsApiError, createCallsClient, KEYED_OPERATIONS, retryAfterMs, unwrap } from '@calls-service/client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

type Answer = (request: Seen, response: ServerResponse) => void;

/** A real HTTP server that answers each request with the next of the given answers, and records what it saw. */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private answers: Answer[] = [];
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const seen = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body, at: Date.now() };
      this.seen.push(seen);
      const answer = this.answers.shift();
      if (answer) answer(seen, response);
      else json(500, { success: false, statusCode: 500, error: 'Internal Server Error', message: 'no answer scripted' })(seen, response);
    });
  });

  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(...answers: Answer[]): void {
    this.seen.length = 0;
    this.answers = answers;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (_request, response) => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

const errorBody = (statusCode: number, error: string) => ({ success: false, statusCode, error, message: `${error} for the test` });
const tooMany = (retryAfter: string) => json(429, errorBody(429, 'Too Many Requests'), { 'Retry-After': retryAfter });
const unavailable = json(503, errorBody(503, 'Service Unavailable'));
const recorded = json(201, { success: true, call: { _id: '64f0a1b2c3d4e5f6a7b8c9d0' }, message: 'Call recorded' });
const contact = json(201, { success: true, contact: { _id: '64f0a1b2c3d4e5f6a7b8c9d1' } });

const INITIATE = '/api/calls/sdk/initiate';

describe('createCallsClient', () => {
  const server = new ScriptedServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const client = (options: Partial<Parameters<typeof createCallsClient>[0]> = {}) =>
    createCallsClient({ baseUrl: server.url, token: 'token-1', retry: { baseDelayMs: 10 }, ...options });
  const initiate = (callsClient = client()) => callsClient.POST(INITIATE, { body: { phoneNumber: '+14165550199' } });

  it('sends the bearer token, asking for it again before each try', async () => {
    let issued = 0;
    server.answer(unavailable, recorded);

    const { response } = await client({ token: () => `token-${++issued}` }).GET('/api/calls');

    expect(response.status).toBe(201);
    expect(server.seen.map((request) => request.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('makes one Idempotency-Key for an initiate and sends it again on each retry, body and all', async () => {
    server.answer(unavailable, tooMany('0'), recorded);

    const { data, error } = await initiate();

    expect(error).toBeUndefined();
    expect(data?.call._id).toBe('64f0a1b2c3d4e5f6a7b8c9d0');
    const keys = server.seen.map((request) => request.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(keys).size).toBe(1);
    expect(server.seen.map((request) => JSON.parse(request.body))).toEqual(Array(3).fill({ phoneNumber: '+14165550199' }));
  });

  it('makes a new key for each initiate, and keeps one the caller gives', async () => {
    server.answer(recorded, recorded, recorded);
    const callsClient = client();

    await initiate(callsClient);
    await initiate(callsClient);
    await callsClient.POST(INITIATE, { body: { phoneNumber: '+14165550199' }, params: { header: { 'Idempotency-Key': 'dialer-key-1' } } });

    const [first, second, given] = server.seen.map((request) => request.headers['idempotency-key']);
    expect(first).not.toBe(second);
    expect(given).toBe('dialer-key-1');
  });

  it('waits as long as Retry-After says', async () => {
    server.answer(tooMany('1'), recorded);

    const { response } = await initiate();

    expect(response.status).toBe(201);
    expect(server.seen[1].at - server.seen[0].at).toBeGreaterThanOrEqual(950);
  });

  it('gives up at once when Retry-After asks for longer than it may wait', async () => {
    server.answer(tooMany('60'), recorded);

    const { error, response } = await initiate(client({ retry: { maxDelayMs: 5_000 } }));

    expect(response.status).toBe(429);
    expect(error).toEqual(errorBody(429, 'Too Many Requests'));
    expect(response.headers.get('Retry-After')).toBe('60');
    expect(server.seen).toHaveLength(1);
  });

  it('stops after the attempts it is given and returns the last error in the contract shape', async () => {
    server.answer(unavailable, unavailable, unavailable, recorded);

    const { error, response } = await client().GET('/api/calls');

    expect(server.seen).toHaveLength(3);
    expect(response.status).toBe(503);
    expect(error).toEqual(errorBody(503, 'Service Unavailable'));
  });

  it('does not send a POST without a key again after a 503, which may have recorded it, but does after a 429', async () => {
    server.answer(unavailable, contact);
    const refused = await client().POST('/api/contacts', { body: { firstName: 'Ada', phoneNumber: '+14165550199' } });
    expect(refused.response.status).toBe(503);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0].headers['idempotency-key']).toBeUndefined();

    server.answer(tooMany('0'), contact);
    const created = await client().POST('/api/contacts', { body: { firstName: 'Ada', phoneNumber: '+14165550199' } });
    expect(created.response.status).toBe(201);
    expect(server.seen).toHaveLength(2);
  });

  it('sends a keyed request again, with its key, when the earlier try is still being carried out (409 with Retry-After)', async () => {
    const running = json(409, errorBody(409, 'Conflict'), { 'Retry-After': '0' });
    server.answer(running, recorded);

    const { response } = await initiate();

    expect(response.status).toBe(201);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1].headers['idempotency-key']).toBe(server.seen[0].headers['idempotency-key']);
  });

  it('does not retry a 409 that is a conflict with the stored state', async () => {
    server.answer(json(409, errorBody(409, 'Conflict')), recorded);

    const { response } = await client().PATCH('/api/calls/{id}', { params: { path: { id: '64f0a1b2c3d4e5f6a7b8c9d0' } }, body: { status: 'ringing' } });

    expect(response.status).toBe(409);
    expect(server.seen).toHaveLength(1);
  });

  it('retries nothing when retries are off', async () => {
    server.answer(unavailable, recorded);

    const { response } = await initiate(client({ retry: false }));

    expect(response.status).toBe(503);
    expect(server.seen).toHaveLength(1);
  });

  it('sends a repeatable request again when the connection drops before an answer', async () => {
    server.answer((_request, response) => response.socket?.destroy(), json(200, { success: true, data: [], nextCursor: null }));

    const { response } = await client().GET('/api/calls');

    expect(response.status).toBe(200);
    expect(server.seen).toHaveLength(2);
  });

  it('turns an error answer not in the contract shape (a proxy page) into one', async () => {
    server.answer((_request, response) => {
      response.writeHead(502, { 'Content-Type': 'text/html' });
      response.end('<html>Bad gateway</html>');
    });

    const { error, response } = await client().GET('/api/calls');

    expect(response.status).toBe(502);
    expect(error).toEqual({ success: false, statusCode: 502, error: 'Bad Gateway', message: '<html>Bad gateway</html>' });
  });

  it('unwrap returns the data, or throws a CallsApiError carrying the error body and request id', async () => {
    server.answer(recorded, json(404, errorBody(404, 'Not Found'), { 'X-Request-Id': 'req-1' }));

    expect(unwrap(await initiate()).call._id).toBe('64f0a1b2c3d4e5f6a7b8c9d0');
    const failure = await client()
      .GET('/api/calls/{id}', { params: { path: { id: '64f0a1b2c3d4e5f6a7b8c9d0' } } })
      .then(unwrap)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CallsApiError);
    expect(failure).toMatchObject({ status: 404, body: errorBody(404, 'Not Found'), requestId: 'req-1' });
  });
});

describe('retryAfterMs', () => {
  it.each([
    [null, null],
    ['0', 0],
    ['3', 3000],
    [' 2 ', 2000],
    ['soon', null],
    ['-1', null],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Thu, 01 Jan 2026 00:00:00 GMT', 0],
  ])('reads %p as %p ms', (header, expected) => {
    expect(retryAfterMs(header, Date.parse('2026-01-01T00:00:00Z'))).toBe(expected);
  });
});

describe('KEYED_OPERATIONS', () => {
  it('are the operations openapi.yaml gives an Idempotency-Key', () => {
    const contract = load(readFileSync(join(__dirname, '..', '..', '..', 'openapi.yaml'), 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const keyed = Object.entries(contract.paths).flatMap(([path, operations]) =>
      Object.values(operations).some((operation) => operation.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key'))
        ? [path]
        : [],
    );

    expect([...KEYED_OPERATIONS].sort()).toEqual(keyed.sort());
  });
});
