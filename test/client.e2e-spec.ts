import { CallsApiError, CallsClient, createCallsClient, unwrap } from '@calls-service/client';
import { RunningApp, startApp } from './support/app';
import { newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { countCalls } from './support/factories';

const INITIATE = '/api/calls/sdk/initiate';

/** What expectContract reads, from the client's answer. */
function answerOf({ data, error, response }: { data?: unknown; error?: unknown; response: Response }) {
  return { status: response.status, body: data ?? error, headers: Object.fromEntries(response.headers) };
}

describe('/api/calls through @calls-service/client', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const clientFor = (user: TestUser): CallsClient => createCallsClient({ baseUrl: app.url, token: user.token });

  describe('the dialer: record, report, read', () => {
    it('records a call with an Idempotency-Key, reports it ringing, answered and ended, and reads it back', async () => {
      const user = testUser();
      const client = clientFor(user);

      const recorded = await client.POST(INITIATE, { body: { phoneNumber: '+1 416 555 0199' } });
      expectContract('post', INITIATE, answerOf(recorded));
      const call = unwrap(recorded).call;
      expect(call).toMatchObject({ status: 'initiated', to: '+14165550199' });
      expect(await app.db.collection('idempotency_keys').countDocuments()).toBe(1);

      const path = { params: { path: { id: call._id } } };
      const answerTime = call.startTime;
      const endTime = new Date(Date.parse(answerTime) + 30_000).toISOString();
      expect(unwrap(await client.PATCH('/api/calls/{id}', { ...path, body: { status: 'ringing', providerCallId: 'sinch-1' } })).call.status).toBe('ringing');
      expect(unwrap(await client.PATCH('/api/calls/{id}', { ...path, body: { status: 'in-progress', answerTime } })).call.status).toBe('in-progress');
      const ended = await client.PATCH('/api/calls/{id}', { ...path, body: { status: 'completed', endTime } });
      expectContract('patch', '/api/calls/{id}', answerOf(ended));

      const read = unwrap(await client.GET('/api/calls/{id}', path)).call;
      expect(read).toMatchObject({ _id: call._id, status: 'completed', providerCallId: 'sinch-1', answerTime, endTime, duration: 30 });
      const listed = unwrap(await client.GET('/api/calls', { params: { query: { status: ['completed'] } } }));
      expect(listed.calls.map((item) => item._id)).toEqual([call._id]);
    });

    it('answers a retried initiate with the call it recorded, marked Idempotent-Replayed', async () => {
      const client = clientFor(testUser());
      const body = { phoneNumber: '+14165550199' };
      const header = { 'Idempotency-Key': 'dialer-attempt-1' };

      const first = await client.POST(INITIATE, { body, params: { header } });
      const repeat = await client.POST(INITIATE, { body, params: { header } });

      expect(first.response.headers.get('Idempotent-Replayed')).toBeNull();
      expect(repeat.response.headers.get('Idempotent-Replayed')).toBe('true');
      expect(repeat.data).toEqual(first.data);
      expect(await countCalls(app)).toBe(1);
    });

    it('gives errors as values in the contract shape, and unwrap throws them as a CallsApiError', async () => {
      const client = clientFor(testUser());
      const id = newId();

      const missing = await client.GET('/api/calls/{id}', { params: { path: { id } } });
      const invalid = await client.POST(INITIATE, { body: {} });

      expect(missing.error).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: expect.any(String) });
      expect(invalid.error).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
      expectContract('post', INITIATE, answerOf(invalid));
      expect(() => unwrap(missing)).toThrow(CallsApiError);
      expect(await countCalls(app)).toBe(0);
    });

    it('is refused without a token', async () => {
      const { error, response } = await createCallsClient({ baseUrl: app.url }).GET('/api/calls');

      expect(response.status).toBe(401);
      expect(error).toMatchObject({ success: false, statusCode: 401 });
    });
  });

  describe('over the rate limit', () => {
    let limited: RunningApp;

    beforeAll(async () => {
      limited = await startApp({ THROTTLE_LIMIT: '2', THROTTLE_TTL_MS: '2000' });
    });
    afterAll(() => limited.stop());

    it('waits as Retry-After says and records the call once the limit allows, with one key', async () => {
      const client = createCallsClient({ baseUrl: limited.url, token: testUser().token });
      unwrap(await client.GET('/api/calls'));
      const lastAllowed = await client.GET('/api/calls');
      expect(lastAllowed.response.headers.get('X-RateLimit-Remaining')).toBe('0');

      const started = Date.now();
      const recorded = await client.POST(INITIATE, { body: { phoneNumber: '+14165550199' } });

      expect(recorded.response.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await countCalls(limited)).toBe(1);
      expect(await limited.db.collection('idempotency_keys').countDocuments()).toBe(1);
    });
  });
});
