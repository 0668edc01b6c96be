import { CallEvent, CallsApiError, CallsClient, createCallsClient, streamEvents, unwrap } from '@calls-service/client';
import { RunningApp, startApp } from './support/app';
import { newId, signToken, TestUser, testUser } from './support/auth';
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

  describe('the live stream: streamEvents', () => {
    const eventIdOf = (organizationId: string, seq: number) => `${organizationId}:${String(seq).padStart(12, '0')}`;

    /** Every event of the organization, as the feed pages it. */
    async function feedOf(client: CallsClient, count: number): Promise<CallEvent[]> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const events = unwrap(await client.GET('/api/events', { params: { query: { limit: 500 } } })).events;
        if (events.length >= count || Date.now() > deadline) return events;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    it('gives each change live, typed, and after the service ends the stream resumes with Last-Event-ID: no gap, no duplicate', async () => {
      const user = testUser();
      const client = clientFor(user);
      // Tokens that expire 2 s after they are made: the service ends each stream then, and the reader connects
      // again with a fresh one. What is stored meanwhile must come after the reconnection.
      const shortLived = () => signToken({ sub: user.userId, organizationId: user.organizationId, exp: Math.floor(Date.now() / 1000) + 2 });
      const stop = new AbortController();
      const disconnects: unknown[] = [];
      const received: CallEvent[] = [];
      let callId = '';
      let answered = false;
      let ending = false;
      const path = () => ({ params: { path: { id: callId } } });
      const reading = (async () => {
        const events = streamEvents({
          baseUrl: app.url,
          token: shortLived,
          signal: stop.signal,
          reconnectDelayMs: 1000,
          onDisconnect: (reason) => {
            disconnects.push(reason);
            // Stored while no stream is open: the reader waits a second before connecting again.
            if (answered && !ending) {
              ending = true;
              void client.PATCH('/api/calls/{id}', { ...path(), body: { status: 'completed' } });
            }
          },
        });
        for await (const event of events) {
          received.push(event);
          if (received.length === 4) stop.abort();
        }
      })();
      // Should an event never come, the reader stops rather than reconnect for ever.
      const giveUp = setTimeout(() => stop.abort(), 20_000);
      // The reader connects in the background: give it a moment, as a dialer would have.
      await new Promise((resolve) => setTimeout(resolve, 300));

      callId = unwrap(await client.POST(INITIATE, { body: { phoneNumber: '+14165550199' } })).call._id;
      unwrap(await client.PATCH('/api/calls/{id}', { ...path(), body: { status: 'ringing' } }));
      unwrap(await client.PATCH('/api/calls/{id}', { ...path(), body: { status: 'in-progress' } }));
      answered = true;
      await reading;
      clearTimeout(giveUp);

      const feed = await feedOf(client, 4);
      expect(received.map((event) => event.type)).toEqual(['call.initiated', 'call.ringing', 'call.answered', 'call.ended']);
      expect(received).toEqual(feed);
      expect(received[3].data.call.status).toBe('completed');
      expect(disconnects.length).toBeGreaterThanOrEqual(1);
    });

    it('starts after lastEventId, and ends with a CallsApiError for what reconnecting cannot mend', async () => {
      const user = testUser();
      const client = clientFor(user);
      unwrap(await client.POST(INITIATE, { body: { phoneNumber: '+14165550199' } }));
      const [first] = await feedOf(client, 1);
      const later = unwrap(await client.POST(INITIATE, { body: { phoneNumber: '+14165550199' } })).call._id;
      const stop = new AbortController();
      const resumed: CallEvent[] = [];
      for await (const event of streamEvents({ baseUrl: app.url, token: user.token, lastEventId: first.id, signal: stop.signal })) {
        resumed.push(event);
        break;
      }
      expect(resumed.map((event) => [event.type, event.data.call._id])).toEqual([['call.initiated', later]]);

      const refusals = await Promise.all(
        [
          { baseUrl: app.url, token: 'not.a.token' },
          { baseUrl: app.url, token: user.token, lastEventId: eventIdOf(newId(), 1) },
          { baseUrl: app.url, token: user.token, filters: { callId: 'not-an-id' } },
        ].map(async (options) => {
          try {
            for await (const event of streamEvents(options)) return event;
            return 'ended';
          } catch (error) {
            return error;
          }
        }),
      );
      expect(refusals.map((error) => (error as CallsApiError).status)).toEqual([401, 404, 400]);
      refusals.forEach((error) => expect(error).toBeInstanceOf(CallsApiError));
      expect((refusals[1] as CallsApiError).body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'after is not an event of your organization' });
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
