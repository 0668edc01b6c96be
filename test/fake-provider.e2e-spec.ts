import { join } from 'node:path';
import request from 'supertest';
import { RunningApp, startApp, TEST_CALLER_ID } from './support/app';
import { testUser } from './support/auth';
import { sdkUser } from './support/sinch';

/** The built service with a provider adapter, `fake`, that exists only in the tests (see the launcher). */
const FAKE_APP = join(__dirname, 'support', 'fake-provider-app.js');
const FAKE_WEBHOOK = '/api/calls/webhooks/fake';
const INITIATE = '/api/calls/sdk/initiate';

describe('POST /api/calls/webhooks/{provider} for a provider defined only in the tests (fake adapter + one registry line)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ CALL_PROVIDER: 'fake' }, { script: FAKE_APP });
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());
  /** Event times count from the start of each test, so that the talk time between two is exact. */
  let base = 0;
  beforeEach(() => {
    base = Date.now();
  });

  const user = testUser();
  const callback = (body: object, signature: string | null = 'signed') => {
    const post = request(app.url).post(FAKE_WEBHOOK).set('Content-Type', 'application/json');
    return (signature ? post.set('x-fake-signature', signature) : post).send(body);
  };
  const recordCall = async () => {
    const response = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);
    return response.body.call as { callId: string; callToken: string; provider: string; status: string };
  };
  const getCall = async (id: string) => (await request(app.url).get(`/api/calls/${id}`).set('Authorization', user.bearer).expect(200)).body.call;
  const at = (seconds: number) => new Date(base + seconds * 1000).toISOString();

  it('records new calls for CALL_PROVIDER, and its SDK issues the token', async () => {
    const call = await recordCall();
    const token = await request(app.url).post('/api/calls/sdk/token').set('Authorization', user.bearer).expect(200);

    expect(call.provider).toBe('fake');
    expect(token.body).toMatchObject({ success: true, token: `fake-token-for-${sdkUser(user.organizationId, user.userId)}`, applicationKey: 'fake-app' });
  });

  it('binds, answers and ends a call through the same webhook, lock and planner as Sinch', async () => {
    const call = await recordCall();
    const caller = sdkUser(user.organizationId, user.userId);

    const start = await callback({ what: 'start', id: 'fake-1', callId: call.callId, callToken: call.callToken, caller, at: at(0) }).expect(200);
    await callback({ what: 'pickup', id: 'fake-1', at: at(2) }).expect(200);
    await callback({ what: 'hangup', id: 'fake-1', at: at(44) }).expect(200);

    expect(start.body).toEqual({ go: true, dial: '+14165550199', as: TEST_CALLER_ID });
    expect(await getCall(call.callId)).toMatchObject({
      provider: 'fake',
      providerCallId: 'fake-1',
      status: 'completed',
      duration: 42,
      endReason: 'hangup',
      cost: { amount: 0.5, currency: 'EUR' },
    });
  });

  it('keeps an event for a call not known yet, and applies it when the dialer reports the provider call id', async () => {
    const call = await recordCall();
    await callback({ what: 'pickup', id: 'fake-2', at: at(1) }).expect(200);

    await request(app.url).patch(`/api/calls/${call.callId}`).set('Authorization', user.bearer).send({ providerCallId: 'fake-2' }).expect(200);

    expect(await getCall(call.callId)).toMatchObject({ providerCallId: 'fake-2', status: 'in-progress' });
  });

  it('hangs up a start that does not carry the call token, and refuses an unsigned callback with 401, storing nothing', async () => {
    const call = await recordCall();
    const caller = sdkUser(user.organizationId, user.userId);

    const refused = await callback({ what: 'start', id: 'fake-3', callId: call.callId, callToken: 'x'.repeat(32), caller, at: at(0) }).expect(200);
    const unsigned = await callback({ what: 'pickup', id: 'fake-4', at: at(1) }, null).expect(401);

    expect(refused.body).toEqual({ go: false });
    expect(unsigned.body.message).toBe('Missing fake signature');
    expect(await app.db.collection('call_events').countDocuments({ providerCallId: 'fake-4' })).toBe(0);
    expect(await getCall(call.callId)).toMatchObject({ providerCallId: null, status: 'initiated' });
  });

  it('answers 400 for what the fake adapter calls invalid, and 404 for a provider the service does not have', async () => {
    await callback({ what: 'nonsense', id: 'fake-5' }).expect(400);
    await request(app.url).post('/api/calls/webhooks/nope').set('Content-Type', 'application/json').send({}).expect(404);
  });
});
