import type * as ClientModule from '@calls-service/client';
import { Browser, Page } from 'puppeteer-core';
import { RunningApp, startApp } from '../support/app';
import { TestUser, testUser } from '../support/auth';
import { countCalls } from '../support/factories';
import { bundleClient, launchChromium, PageServer, screenshot, servePage, watchErrors } from './support/browser';

declare global {
  interface Window {
    CallsClient: typeof ClientModule;
  }
}

const THROTTLE_LIMIT = 500;

/**
 * The web dialer's path as it runs: a page of another origin loads the client bundle and calls the
 * service from Chromium, so CORS (preflight, allowed and exposed headers) is the browser's to enforce.
 */
describe('/api/calls from a dialer page in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let dialer: PageServer;
  let stranger: PageServer;
  let page: Page;
  let user: TestUser;

  beforeAll(async () => {
    const bundle = await bundleClient();
    [dialer, stranger, browser] = await Promise.all([servePage(bundle), servePage(bundle), launchChromium()]);
    app = await startApp({ CORS_ORIGINS: dialer.origin, THROTTLE_LIMIT: String(THROTTLE_LIMIT), THROTTLE_TTL_MS: '60000' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([app?.stop(), dialer?.stop(), stranger?.stop()]);
  });
  beforeEach(async () => {
    await app.clean();
    user = testUser();
  });
  afterEach(async () => {
    if (!page) return;
    await screenshot(page);
    await page.close();
  });

  async function openPage(origin: string): Promise<{ page: Page; errors: string[] }> {
    page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(origin);
    return { page, errors };
  }

  it('records a call with an Idempotency-Key, sends it again and reads Idempotent-Replayed: true', async () => {
    await openPage(dialer.origin);

    const result = await page.evaluate(
      async (api, token) => {
        const client = window.CallsClient.createCallsClient({ baseUrl: api, token });
        const send = () =>
          client.POST('/api/calls/sdk/initiate', { body: { phoneNumber: '+14165550199' }, params: { header: { 'Idempotency-Key': 'browser-key-1' } } });
        const first = await send();
        const repeat = await send();
        const result = {
          statuses: [first.response.status, repeat.response.status],
          replayed: [first.response.headers.get('Idempotent-Replayed'), repeat.response.headers.get('Idempotent-Replayed')],
          sameCall: first.data?.call._id === repeat.data?.call._id,
          requestId: repeat.response.headers.get('X-Request-Id'),
        };
        document.getElementById('log')!.textContent = JSON.stringify(result, null, 2);
        return result;
      },
      app.url,
      user.token,
    );

    expect(result).toEqual({ statuses: [201, 201], replayed: [null, 'true'], sameCall: true, requestId: expect.any(String) });
    expect(await countCalls(app)).toBe(1);
  });

  it('records a call with a key the client makes, then reports it ringing and in-progress', async () => {
    const { errors } = await openPage(dialer.origin);

    const result = await page.evaluate(
      async (api, token) => {
        const client = window.CallsClient.createCallsClient({ baseUrl: api, token });
        const call = window.CallsClient.unwrap(await client.POST('/api/calls/sdk/initiate', { body: { phoneNumber: '+14165550199' } })).call;
        const path = { params: { path: { id: call._id } } };
        const ringing = window.CallsClient.unwrap(await client.PATCH('/api/calls/{id}', { ...path, body: { status: 'ringing', providerCallId: 'sinch-browser-1' } }));
        const answered = window.CallsClient.unwrap(await client.PATCH('/api/calls/{id}', { ...path, body: { status: 'in-progress', answerTime: call.startTime } }));
        const result = { id: call._id, statuses: [call.status, ringing.call.status, answered.call.status] };
        document.getElementById('log')!.textContent = JSON.stringify(result, null, 2);
        return result;
      },
      app.url,
      user.token,
    );

    expect(result.statuses).toEqual(['initiated', 'ringing', 'in-progress']);
    expect(await app.db.collection('calls').findOne({}, { projection: { _id: 0, status: 1, providerCallId: 1 } })).toEqual({
      status: 'in-progress',
      providerCallId: 'sinch-browser-1',
    });
    expect(await app.db.collection('idempotency_keys').countDocuments()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('wraps a call up with the ETag it read as If-Match, and reads the 412 when a colleague changed it first', async () => {
    const { errors } = await openPage(dialer.origin);

    const result = await page.evaluate(
      async (api, token) => {
        const client = window.CallsClient.createCallsClient({ baseUrl: api, token });
        const call = window.CallsClient.unwrap(await client.POST('/api/calls/sdk/initiate', { body: { phoneNumber: '+14165550199' } })).call;
        const path = { path: { id: call._id } };
        const read = await client.GET('/api/calls/{id}', { params: path });
        const etag = read.response.headers.get('ETag') ?? '';
        const first = await client.PATCH('/api/calls/{id}', { params: { ...path, header: { 'If-Match': etag } }, body: { notes: 'Wants a demo', tags: ['demo'] } });
        const stale = await client.PATCH('/api/calls/{id}', { params: { ...path, header: { 'If-Match': etag } }, body: { notes: 'Overwrites unseen' } });
        const result = {
          etag,
          statuses: [first.response.status, stale.response.status],
          newEtag: first.response.headers.get('ETag'),
          notesNow: (stale.error as { call?: { notes: string } } | undefined)?.call?.notes,
        };
        document.getElementById('log')!.textContent = JSON.stringify(result, null, 2);
        return result;
      },
      app.url,
      user.token,
    );

    expect(result).toEqual({ etag: '"1"', statuses: [200, 412], newEtag: '"2"', notesNow: 'Wants a demo' });
    expect(errors.filter((error) => !/status of 412/.test(error))).toEqual([]);
  });

  it('reads the rate-limit headers', async () => {
    await openPage(dialer.origin);

    const headers = await page.evaluate(
      async (api, token) => {
        const { response } = await window.CallsClient.createCallsClient({ baseUrl: api, token }).GET('/api/calls');
        const names = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id'];
        const headers = Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
        document.getElementById('log')!.textContent = JSON.stringify(headers, null, 2);
        return headers;
      },
      app.url,
      user.token,
    );

    expect(headers).toEqual({
      'X-RateLimit-Limit': String(THROTTLE_LIMIT),
      'X-RateLimit-Remaining': String(THROTTLE_LIMIT - 1),
      'X-RateLimit-Reset': expect.stringMatching(/^\d+$/),
      'X-Request-Id': expect.any(String),
    });
  });

  it('refuses a page from an origin not in CORS_ORIGINS: its requests fail and record nothing', async () => {
    const { errors } = await openPage(stranger.origin);

    const outcomes = await page.evaluate(
      async (api, token) => {
        const client = window.CallsClient.createCallsClient({ baseUrl: api, token, retry: false });
        const outcome = (request: Promise<{ response: Response }>) =>
          request.then(
            ({ response }) => `answered ${response.status}`,
            (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`,
          );
        const outcomes = [
          await outcome(client.GET('/api/calls')),
          await outcome(client.POST('/api/calls/sdk/initiate', { body: { phoneNumber: '+14165550199' } })),
        ];
        document.getElementById('log')!.textContent = outcomes.join('\n');
        return outcomes;
      },
      app.url,
      user.token,
    );

    expect(outcomes).toEqual(['TypeError: Failed to fetch', 'TypeError: Failed to fetch']);
    expect(errors.join('\n')).toMatch(/blocked by CORS policy/);
    expect(await countCalls(app)).toBe(0);
  });
});
