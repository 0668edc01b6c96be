import { Types } from 'mongoose';
import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { adminUser, newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { Received, verifyStandardWebhook, WebhookReceiver } from './support/webhook-receiver';

const ENDPOINTS = '/api/webhook-endpoints';
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settings for a service that may send to the test's receiver on loopback, with retries short enough to watch. */
const LOOPBACK = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_DISABLE_AFTER: '3',
};

interface Endpoint {
  _id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  secret?: string;
}

interface Delivery {
  _id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: Array<{ at: string; statusCode: number | null; error: string | null; durationMs: number }>;
  nextAttemptAt: string | null;
}

const as = (app: RunningApp, user: TestUser) => ({
  get: (path: string) => request(app.url).get(path).set('Authorization', user.bearer),
  post: (path: string, body?: object) => request(app.url).post(path).set('Authorization', user.bearer).send(body),
  patch: (path: string, body: object) => request(app.url).patch(path).set('Authorization', user.bearer).send(body),
  delete: (path: string) => request(app.url).delete(path).set('Authorization', user.bearer),
});

async function register(app: RunningApp, user: TestUser, body: object): Promise<Endpoint> {
  const response = await as(app, user).post(ENDPOINTS, body);
  expect(response.status).toBe(201);
  return response.body.endpoint;
}

async function initiate(app: RunningApp, user: TestUser): Promise<string> {
  const response = await as(app, user).post('/api/calls/sdk/initiate', { phoneNumber: '+14165550199' });
  expect(response.status).toBe(201);
  return response.body.call._id;
}

async function deliveriesOf(app: RunningApp, user: TestUser, endpointId: string, query = ''): Promise<Delivery[]> {
  const response = await as(app, user).get(`${ENDPOINTS}/${endpointId}/deliveries${query}`).expect(200);
  return response.body.deliveries;
}

/** Waits until the endpoint's deliveries satisfy `done`, and answers them. */
async function deliveriesWhen(app: RunningApp, user: TestUser, endpointId: string, done: (deliveries: Delivery[]) => boolean, timeoutMs = 20_000): Promise<Delivery[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deliveries = await deliveriesOf(app, user, endpointId);
    if (done(deliveries)) return deliveries;
    if (Date.now() > deadline) throw new Error(`The deliveries did not get there: ${JSON.stringify(deliveries, null, 2)}`);
    await sleep(100);
  }
}

const ids = (requests: Received[]) => requests.map((request) => request.headers['webhook-id']);

describe(ENDPOINTS, () => {
  let app: RunningApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [app, receiver] = await Promise.all([startApp(LOOPBACK), new WebhookReceiver().start()]);
  });
  afterAll(async () => {
    await Promise.all([app?.stop(), receiver?.stop()]);
  });

  it('does no webhook work for an organization without an endpoint: no fan-out, no cursor', async () => {
    const user = testUser();
    await initiate(app, user);
    const deadline = Date.now() + 15_000;
    while ((await as(app, user).get('/api/events').expect(200)).body.events.length === 0 && Date.now() < deadline) await sleep(100);
    expect((await as(app, user).get('/api/events').expect(200)).body.events).toHaveLength(1);
    // A fan-out, once kicked, takes the organization's lease and makes its cursor at the head.
    await sleep(1_500);
    expect(await app.db.collection('webhook_cursors').countDocuments({ _id: user.organizationId as never })).toBe(0);
  });

  describe(`POST ${ENDPOINTS}`, () => {
    it('registers an endpoint and shows its secret once; GET and the list never show it', async () => {
      const admin = adminUser();
      const response = await as(app, admin).post(ENDPOINTS, { url: `${receiver.url}/a`, events: ['call.ended'], description: ' Timeline ' });
      expectContract('post', ENDPOINTS, response);
      expect(response.status).toBe(201);
      const endpoint = response.body.endpoint;
      expect(endpoint).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        url: `${receiver.url}/a`,
        events: ['call.ended'],
        description: 'Timeline',
        enabled: true,
        disabledReason: null,
        secret: expect.stringMatching(SECRET),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(Buffer.from(endpoint.secret.slice(6), 'base64')).toHaveLength(32);

      const one = await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}`).expect(200);
      expectContract('get', `${ENDPOINTS}/{id}`, one);
      const { secret, ...withoutSecret } = endpoint;
      expect(one.body).toEqual({ success: true, endpoint: withoutSecret });
      const list = await as(app, admin).get(ENDPOINTS).expect(200);
      expectContract('get', ENDPOINTS, list);
      expect(list.body).toEqual({ success: true, endpoints: [withoutSecret] });
      expect(JSON.stringify(list.body) + JSON.stringify(one.body)).not.toContain(secret.slice(6));
      // Nor is it logged.
      expect(app.output()).not.toContain(secret.slice(6));
    });

    it.each([
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pass@example.com/hook' }, 'user name or password'],
      [{ url: 'https://example.com/hook', events: ['call.exploded'] }, 'events'],
      [{ url: 'https://example.com/hook', events: 'call.ended' }, 'events'],
      [{ url: 'https://example.com/hook', events: ['call.ended', 'call.ended'] }, 'events'],
      [{ url: 'https://example.com/hook', secret: 'whsec_mine' }, 'secret'],
      [{ url: `https://example.com/${'a'.repeat(2100)}` }, 'url'],
      [{}, 'url'],
    ])('answers 400 in the one error shape for %j', async (body, mentions) => {
      const response = await as(app, adminUser()).post(ENDPOINTS, body);
      expectContract('post', ENDPOINTS, response);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(response.body)).toContain(mentions);
    });

    it('is for admins only, on every route', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/admins` });
      const member = testUser(admin.organizationId);
      const routes: Array<[string, string]> = [
        ['post', ENDPOINTS],
        ['get', ENDPOINTS],
        ['get', `${ENDPOINTS}/${endpoint._id}`],
        ['patch', `${ENDPOINTS}/${endpoint._id}`],
        ['delete', `${ENDPOINTS}/${endpoint._id}`],
        ['post', `${ENDPOINTS}/${endpoint._id}/rotate-secret`],
        ['get', `${ENDPOINTS}/${endpoint._id}/deliveries`],
        ['post', `${ENDPOINTS}/${endpoint._id}/deliveries/${endpoint._id}:${admin.organizationId}:000000000001/retry`],
        ['post', `${ENDPOINTS}/${endpoint._id}/test`],
      ];
      for (const [method, path] of routes) {
        const body = method === 'get' || method === 'delete' ? undefined : { url: `${receiver.url}/x` };
        const forbidden = await (request(app.url) as unknown as Record<string, (path: string) => request.Test>)[method](path).set('Authorization', member.bearer).send(body);
        expect([method, path, forbidden.status]).toEqual([method, path, 403]);
        expect(forbidden.body).toMatchObject({ success: false, statusCode: 403 });
        const anonymous = await (request(app.url) as unknown as Record<string, (path: string) => request.Test>)[method](path).send(body);
        expect([method, path, anonymous.status]).toEqual([method, path, 401]);
      }
      // Nothing was changed by the refused requests.
      expect((await as(app, admin).get(ENDPOINTS).expect(200)).body.endpoints).toHaveLength(1);
    });
  });

  describe('organization isolation', () => {
    it('hides one organization\'s endpoints from another, and sends it only its own events', async () => {
      const [first, second] = [adminUser(), adminUser()];
      const endpoint = await register(app, first, { url: `${receiver.url}/isolation-first` });
      const other = await register(app, second, { url: `${receiver.url}/isolation-second` });
      const routes: Array<() => request.Test> = [
        () => as(app, second).get(`${ENDPOINTS}/${endpoint._id}`),
        () => as(app, second).patch(`${ENDPOINTS}/${endpoint._id}`, { description: 'mine now' }),
        () => as(app, second).delete(`${ENDPOINTS}/${endpoint._id}`),
        () => as(app, second).post(`${ENDPOINTS}/${endpoint._id}/rotate-secret`),
        () => as(app, second).get(`${ENDPOINTS}/${endpoint._id}/deliveries`),
        () => as(app, second).post(`${ENDPOINTS}/${endpoint._id}/test`),
      ];
      for (const route of routes) expect((await route()).status).toBe(404);
      expect((await as(app, second).get(ENDPOINTS).expect(200)).body.endpoints.map((item: Endpoint) => item._id)).toEqual([other._id]);

      await initiate(app, first);
      await initiate(app, second);
      const [mine] = await receiver.waitFor('/isolation-first', 1);
      const [theirs] = await receiver.waitFor('/isolation-second', 1);
      expect(JSON.parse(mine.body).organizationId).toBe(first.organizationId);
      expect(JSON.parse(theirs.body).organizationId).toBe(second.organizationId);
      await sleep(500);
      expect(receiver.to('/isolation-first')).toHaveLength(1);
      expect((await as(app, first).get(`${ENDPOINTS}/${endpoint._id}`).expect(200)).body.endpoint.description).toBeNull();
    });
  });

  describe('delivery', () => {
    it('POSTs each event as the feed gives it, signed so that a Standard Webhooks verifier accepts it', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/signed` });
      const callId = await initiate(app, admin);
      await as(app, admin).patch(`/api/calls/${callId}`, { status: 'ringing' }).expect(200);
      const received = await receiver.waitFor('/signed', 2);
      const feed = (await as(app, admin).get('/api/events').expect(200)).body.events;
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect(received.map((request) => JSON.parse(request.body)).sort(byId)).toEqual(feed);
      for (const request of received) {
        expect(verifyStandardWebhook(endpoint.secret!, request.headers, request.body)).toBe(true);
        // A verifier that would accept anything proves nothing: a changed body or another secret fails.
        expect(verifyStandardWebhook(endpoint.secret!, request.headers, request.body.replace('call.', 'call!'))).toBe(false);
        expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request.headers, request.body)).toBe(false);
        expect(request.headers['webhook-id']).toBe(JSON.parse(request.body).id);
        expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['user-agent']).toMatch(/^calls-service-webhooks\//);
      }
      const deliveries = await deliveriesWhen(app, admin, endpoint._id, (items) => items.length === 2 && items.every((item) => item.status === 'succeeded'));
      expect(deliveries.map((item) => item.eventType)).toEqual(['call.ringing', 'call.initiated']);
      expect(deliveries[0].attempts).toEqual([{ at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) }]);
    });

    it('sends only the event types the endpoint asked for', async () => {
      const admin = adminUser();
      await register(app, admin, { url: `${receiver.url}/only-ended`, events: ['call.ended'] });
      await register(app, admin, { url: `${receiver.url}/all-types`, events: [] });
      const callId = await initiate(app, admin);
      await as(app, admin).patch(`/api/calls/${callId}`, { status: 'ringing' }).expect(200);
      await as(app, admin).patch(`/api/calls/${callId}`, { status: 'failed', endReason: 'no answer' }).expect(200);
      await receiver.waitFor('/all-types', 3);
      const [ended] = await receiver.waitFor('/only-ended', 1);
      await sleep(500);
      expect(receiver.to('/only-ended')).toHaveLength(1);
      expect(JSON.parse(ended.body).type).toBe('call.ended');
      // Two attempts to an endpoint may run at once, so arrival order is not the feed's (docs/webhooks.md says so).
      expect(receiver.to('/all-types').map((request) => JSON.parse(request.body).type).sort()).toEqual(['call.ended', 'call.initiated', 'call.ringing']);
    });

    it('retries a receiver that answers 500 twice, with the same webhook-id, until it answers 200', async () => {
      const admin = adminUser();
      receiver.answer('/flaky', [500, 500], 200);
      const endpoint = await register(app, admin, { url: `${receiver.url}/flaky` });
      await initiate(app, admin);
      const received = await receiver.waitFor('/flaky', 3);
      expect(new Set(ids(received)).size).toBe(1);
      expect(new Set(received.map((request) => request.body)).size).toBe(1);
      for (const request of received) expect(verifyStandardWebhook(endpoint.secret!, request.headers, request.body)).toBe(true);
      // The schedule's 200 ms waits lie between the attempts.
      expect(received[1].at - received[0].at).toBeGreaterThanOrEqual(190);
      const [delivery] = await deliveriesWhen(app, admin, endpoint._id, ([item]) => item?.status === 'succeeded');
      expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 200]);
      expect(delivery.nextAttemptAt).toBeNull();
      await sleep(500);
      expect(receiver.to('/flaky')).toHaveLength(3);
      // A success clears the failures: the endpoint is still enabled.
      expect((await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}`).expect(200)).body.endpoint.enabled).toBe(true);
    });

    it('counts an answer slower than WEBHOOK_TIMEOUT_MS as a failed attempt, and retries it', async () => {
      const admin = adminUser();
      receiver.answer('/slow', [{ status: 200, delayMs: 2500 }], 200);
      const endpoint = await register(app, admin, { url: `${receiver.url}/slow` });
      await initiate(app, admin);
      const [delivery] = await deliveriesWhen(app, admin, endpoint._id, ([item]) => item?.status === 'succeeded');
      expect(delivery.attempts).toEqual([
        { at: expect.any(String), statusCode: null, error: 'no answer within 1000 ms', durationMs: expect.any(Number) },
        { at: expect.any(String), statusCode: 200, error: null, durationMs: expect.any(Number) },
      ]);
      expect(delivery.attempts[0].durationMs).toBeGreaterThanOrEqual(990);
      expect(delivery.attempts[0].durationMs).toBeLessThan(2500);
    });

    it('disables the endpoint at once when the receiver answers 410, and queues nothing more for it', async () => {
      const admin = adminUser();
      receiver.answer('/gone', [], 410);
      const endpoint = await register(app, admin, { url: `${receiver.url}/gone` });
      await initiate(app, admin);
      const [delivery] = await deliveriesWhen(app, admin, endpoint._id, ([item]) => item?.status === 'failed');
      expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([410]);
      const got = (await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}`).expect(200)).body.endpoint;
      expect(got).toMatchObject({ enabled: false, disabledReason: 'The endpoint answered 410 Gone' });
      await initiate(app, admin);
      await sleep(1500);
      expect(await deliveriesOf(app, admin, endpoint._id)).toHaveLength(1);
      expect(receiver.to('/gone')).toHaveLength(1);
      const test = await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/test`);
      expect(test.status).toBe(409);
    });

    it('disables the endpoint after WEBHOOK_DISABLE_AFTER failed attempts in a row; enabling it sends again', async () => {
      const admin = adminUser();
      receiver.answer('/down', [], 503);
      const endpoint = await register(app, admin, { url: `${receiver.url}/down` });
      await initiate(app, admin);
      const [delivery] = await deliveriesWhen(app, admin, endpoint._id, ([item]) => item?.status === 'failed');
      expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([503, 503, 503]);
      expect((await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}`).expect(200)).body.endpoint).toMatchObject({
        enabled: false,
        disabledReason: '3 failed attempts in a row',
      });
      await initiate(app, admin);
      await sleep(1500);
      expect(receiver.to('/down')).toHaveLength(3);
      expect(await deliveriesOf(app, admin, endpoint._id)).toHaveLength(1);

      receiver.answer('/down', [], 200);
      const enabled = await as(app, admin).patch(`${ENDPOINTS}/${endpoint._id}`, { enabled: true });
      expectContract('patch', `${ENDPOINTS}/{id}`, enabled);
      expect(enabled.body.endpoint).toMatchObject({ enabled: true, disabledReason: null });
      await initiate(app, admin);
      await receiver.waitFor('/down', 4);
      // A failed delivery is sent again by hand, with the schedule from its start.
      const retried = await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/deliveries/${delivery._id}/retry`);
      expectContract('post', `${ENDPOINTS}/{id}/deliveries/{deliveryId}/retry`, retried);
      expect(retried.status).toBe(202);
      expect(retried.body.delivery).toMatchObject({ _id: delivery._id, status: 'pending' });
      const received = await receiver.waitFor('/down', 5);
      expect(received[4].headers['webhook-id']).toBe(delivery.eventId);
      await deliveriesWhen(app, admin, endpoint._id, (items) => items.length === 2 && items.every((item) => item.status === 'succeeded'));
      // Only a failed one may be retried.
      expect((await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/deliveries/${delivery._id}/retry`)).status).toBe(409);
    });

    it('sends to the URL another replica changed within a second (ENDPOINT_CACHE_MS)', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/moved-from` });
      // This process fans out and sends, so it has the endpoint in its cache.
      await initiate(app, admin);
      await receiver.waitFor('/moved-from', 1);
      // Another replica's admin write, which this process is not told of.
      await app.db.collection('webhook_endpoints').updateOne({ _id: new Types.ObjectId(endpoint._id) }, { $set: { url: `${receiver.url}/moved-to` } });
      await sleep(1_500);
      await initiate(app, admin);
      await receiver.waitFor('/moved-to', 1);
      expect(receiver.to('/moved-from')).toHaveLength(1);
    });

    it('signs with both the old and the new secret after a rotation', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/rotated` });
      const rotated = await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/rotate-secret`);
      expectContract('post', `${ENDPOINTS}/{id}/rotate-secret`, rotated);
      expect(rotated.status).toBe(200);
      const secret: string = rotated.body.endpoint.secret;
      expect(secret).toMatch(SECRET);
      expect(secret).not.toBe(endpoint.secret);
      await initiate(app, admin);
      const [request] = await receiver.waitFor('/rotated', 1);
      expect((request.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
      expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);
      expect(verifyStandardWebhook(endpoint.secret!, request.headers, request.body)).toBe(true);
      // A second rotation ends the first secret's overlap: only the two newest sign.
      const again = (await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/rotate-secret`).expect(200)).body.endpoint.secret;
      await initiate(app, admin);
      const [, next] = await receiver.waitFor('/rotated', 2);
      expect(verifyStandardWebhook(again, next.headers, next.body)).toBe(true);
      expect(verifyStandardWebhook(secret, next.headers, next.body)).toBe(true);
      expect(verifyStandardWebhook(endpoint.secret!, next.headers, next.body)).toBe(false);
    });

    it('sends a webhook.test event on request', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/test-event`, events: ['call.ended'] });
      const response = await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/test`);
      expectContract('post', `${ENDPOINTS}/{id}/test`, response);
      expect(response.status).toBe(202);
      expect(response.body.delivery).toMatchObject({ eventType: 'webhook.test', status: 'pending', attempts: [] });
      const [request] = await receiver.waitFor('/test-event', 1);
      expect(JSON.parse(request.body)).toEqual({
        id: response.body.delivery.eventId,
        type: 'webhook.test',
        createdAt: expect.any(String),
        organizationId: admin.organizationId,
        data: { endpointId: endpoint._id },
      });
      expect(verifyStandardWebhook(endpoint.secret!, request.headers, request.body)).toBe(true);
    });
  });

  describe(`GET ${ENDPOINTS}/{id}/deliveries`, () => {
    it('pages the deliveries newest first and filters them by status', async () => {
      const admin = adminUser();
      receiver.answer('/paged', [], 200);
      const endpoint = await register(app, admin, { url: `${receiver.url}/paged` });
      for (let i = 0; i < 5; i++) await initiate(app, admin);
      await deliveriesWhen(app, admin, endpoint._id, (items) => items.length === 5 && items.every((item) => item.status === 'succeeded'));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}/deliveries?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expectContract('get', `${ENDPOINTS}/{id}/deliveries`, page);
        expect(page.status).toBe(200);
        seen.push(...page.body.deliveries.map((item: Delivery) => item.eventId));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect(await deliveriesOf(app, admin, endpoint._id, '?status=failed')).toEqual([]);
      expect(await deliveriesOf(app, admin, endpoint._id, '?status=succeeded')).toHaveLength(5);
      // A well-formed cursor naming another organization only bounds the page: nothing of that organization shows.
      const foreign = await deliveriesOf(app, admin, endpoint._id, `?cursor=${encodeURIComponent('ffffffffffffffffffffffff:000000000001')}`);
      expect(foreign.map((item) => item.eventId)).toEqual(seen);
      for (const query of ['?status=done', '?cursor=nope', '?limit=0', `?cursor=${newId()}:00000001`]) {
        const bad = await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}/deliveries${query}`);
        expect([query, bad.status]).toEqual([query, 400]);
        expect(bad.body).toMatchObject({ success: false, statusCode: 400 });
      }
    });
  });

  describe(`PATCH and DELETE ${ENDPOINTS}/{id}`, () => {
    it('changes only what is given, and removes the endpoint with its deliveries', async () => {
      const admin = adminUser();
      const endpoint = await register(app, admin, { url: `${receiver.url}/patched`, description: 'first' });
      const patched = await as(app, admin).patch(`${ENDPOINTS}/${endpoint._id}`, { events: ['call.answered'], description: null }).expect(200);
      expect(patched.body.endpoint).toMatchObject({ url: `${receiver.url}/patched`, events: ['call.answered'], description: null, enabled: true });
      expect((await as(app, admin).patch(`${ENDPOINTS}/${endpoint._id}`, { url: 'ftp://x' })).status).toBe(400);
      expect((await as(app, admin).patch(`${ENDPOINTS}/${endpoint._id}`, { enabled: 'yes' })).status).toBe(400);
      const removed = await as(app, admin).delete(`${ENDPOINTS}/${endpoint._id}`);
      expectContract('delete', `${ENDPOINTS}/{id}`, removed);
      expect(removed.status).toBe(204);
      expect((await as(app, admin).get(`${ENDPOINTS}/${endpoint._id}`)).status).toBe(404);
      expect((await as(app, admin).get(`${ENDPOINTS}/not-an-id`)).status).toBe(400);
    });
  });
});

describe('Webhook URLs (SSRF), with WEBHOOK_ALLOW_PRIVATE_URLS off', () => {
  let app: RunningApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [app, receiver] = await Promise.all([startApp({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_RETRY_SCHEDULE: '1h' }), new WebhookReceiver().start()]);
  });
  afterAll(async () => {
    await Promise.all([app?.stop(), receiver?.stop()]);
  });

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:a9fe:a9fe]/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00:ec2::254]/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://192.168.1.1/hook',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
    'http://[::]/hook',
    'http://[fe80::1]/hook',
    'http://2130706433/hook',
    'http://0x7f.0.0.1/hook',
  ])('refuses %s at registration', async (url) => {
    const response = await as(app, adminUser()).post(ENDPOINTS, { url });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
    expect(response.body.message).toMatch(/loopback, private, link-local or reserved address/);
  });

  it('refuses http:// where WEBHOOK_ALLOW_HTTP is off', async () => {
    const strict = await startApp({});
    try {
      const response = await as(strict, adminUser()).post(ENDPOINTS, { url: 'http://example.com/hook' });
      expect(response.status).toBe(400);
      expect(response.body.message).toBe('url must be an https:// URL');
    } finally {
      await strict.stop();
    }
  });

  it('checks again at each send: a URL that now points at a private address is not sent to', async () => {
    const admin = adminUser();
    // A name that resolves nowhere is accepted at registration (DNS may come later) and checked at each send.
    const endpoint = await register(app, admin, { url: 'http://webhooks.invalid/hook' });
    // As if its DNS had changed to point inside: the stored URL now names the receiver on loopback.
    await app.db.collection('webhook_endpoints').updateOne({ _id: new Types.ObjectId(endpoint._id) }, { $set: { url: `${receiver.url}/inside` } });
    await as(app, admin).post(`${ENDPOINTS}/${endpoint._id}/test`).expect(202);
    const [delivery] = await deliveriesWhen(app, admin, endpoint._id, ([item]) => item?.attempts.length === 1);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^refused: .*127\.0\.0\.1, a loopback, private/) });
    expect(delivery.status).toBe('pending');
    expect(receiver.received).toHaveLength(0);
  });
});

describe('Webhook delivery across a crash', () => {
  it('sends a delivery that was in flight when the service was killed (kill -9) again after restart', async () => {
    const receiver = await new WebhookReceiver().start();
    const settings = { ...LOOPBACK, WEBHOOK_TIMEOUT_MS: '2000' };
    const first = await startApp(settings);
    let second: RunningApp | undefined;
    try {
      const admin = adminUser();
      receiver.answer('/crash', ['hang'], 200);
      const endpoint = await register(first, admin, { url: `${receiver.url}/crash` });
      await initiate(first, admin);
      const [inFlight] = await receiver.waitFor('/crash', 1);
      const exited = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await exited;
      second = await startApp({ ...settings, MONGODB_URI: first.uri });
      const received = await receiver.waitFor('/crash', 2, 30_000);
      expect(received[1].headers['webhook-id']).toBe(inFlight.headers['webhook-id']);
      const [delivery] = await deliveriesWhen(second, admin, endpoint._id, ([item]) => item?.status === 'succeeded');
      expect(delivery.attempts.at(-1)?.statusCode).toBe(200);
    } finally {
      await second?.stop();
      await first.stop();
      await receiver.stop();
    }
  }, 60_000);
});

describe('Webhook fan-out across a relay that died before moving the head', () => {
  it('sends an event whose relay was killed after storing it, before the head moved, with no later call to move the head', async () => {
    // The fan-out reads up to the head; the relay that takes over the dead one's lease moves the head past the event.
    const receiver = await new WebhookReceiver().start();
    const first = await startApp({ ...LOOPBACK, CALLS_TEST_CRASH_AT: 'after-event-insert' });
    let second: RunningApp | undefined;
    try {
      const admin = adminUser();
      const endpoint = await register(first, admin, { url: `${receiver.url}/stale-head` });
      const exited = new Promise((resolve) => first.process.once('exit', (_code, signal) => resolve(signal)));
      // The relay dies after the answer, or before it is read.
      await as(first, admin).post('/api/calls/sdk/initiate', { phoneNumber: '+14165550199' }).catch(() => undefined);
      expect(await exited).toBe('SIGKILL');
      second = await startApp({ ...LOOPBACK, MONGODB_URI: first.uri });
      const heads = await second.db.collection('event_heads').find({ _id: admin.organizationId as never }).toArray();
      // The crash left the head where it was, and the event stored past it.
      expect(heads.map((head) => head.seq)).not.toContain(1);
      expect(await second.db.collection('events').countDocuments({ _id: `${admin.organizationId}:000000000001` } as object)).toBe(1);
      const [received] = await receiver.waitFor('/stale-head', 1, 20_000);
      expect(received.headers['webhook-id']).toBe(`${admin.organizationId}:000000000001`);
      await deliveriesWhen(second, admin, endpoint._id, (items) => items.length === 1 && items[0].status === 'succeeded');
    } finally {
      await second?.stop();
      await first.stop();
      await receiver.stop();
    }
  }, 60_000);
});

describe('Webhook delivery from two service processes', () => {
  it('delivers every event once per endpoint while both are healthy', async () => {
    const receiver = await new WebhookReceiver().start();
    const one = await startApp(LOOPBACK);
    const two = await startApp({ ...LOOPBACK, MONGODB_URI: one.uri });
    try {
      const admin = adminUser();
      await register(one, admin, { url: `${receiver.url}/both-a` });
      await register(two, admin, { url: `${receiver.url}/both-b`, events: ['call.initiated'] });
      const calls = 20;
      await Promise.all(Array.from({ length: calls }, (_, index) => initiate(index % 2 === 0 ? one : two, admin)));
      const a = await receiver.waitFor('/both-a', calls, 30_000);
      const b = await receiver.waitFor('/both-b', calls, 30_000);
      await sleep(1500);
      expect(ids(receiver.to('/both-a'))).toHaveLength(calls);
      expect(ids(receiver.to('/both-b'))).toHaveLength(calls);
      expect(new Set(ids(a)).size).toBe(calls);
      expect(new Set(ids(b)).size).toBe(calls);
      const feed = (await as(one, admin).get('/api/events?limit=500').expect(200)).body.events.map((event: { id: string }) => event.id);
      expect([...new Set(ids(a))].sort()).toEqual([...feed].sort());
    } finally {
      await two.stop();
      await one.stop();
      await receiver.stop();
    }
  }, 90_000);
});
