import type * as ClientModule from '@calls-service/client';
import request from 'supertest';
import { Browser, Page } from 'puppeteer-core';
import { RunningApp, startApp } from '../support/app';
import { TestUser, testUser } from '../support/auth';
import { bundleClient, launchChromium, PageServer, screenshot, servePage, watchErrors } from './support/browser';

declare global {
  interface Window {
    CallsClient: typeof ClientModule;
    /** What the page's stream received: `[type, call id, status, event id]` per event. */
    received: string[][];
    source?: EventSource;
  }
}

const TYPES = ['call.initiated', 'call.ringing', 'call.answered', 'call.ended', 'call.recording.added', 'call.updated'];

/**
 * The dialer's live view as a browser runs it: a page of another origin mints a ticket and opens `EventSource`
 * with it (EventSource cannot send an Authorization header), while another client changes a call.
 */
describe('/api/events/stream from a dialer page in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  let dialer: PageServer;
  let page: Page | undefined;
  let errors: string[];
  /** The page's requests that were answered 404: only the favicon the test page lacks may be. */
  let missing: string[];
  let user: TestUser;

  beforeAll(async () => {
    const bundle = await bundleClient();
    [dialer, browser] = await Promise.all([servePage(bundle), launchChromium()]);
    app = await startApp({ CORS_ORIGINS: dialer.origin });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([app?.stop(), dialer?.stop()]);
  });
  beforeEach(async () => {
    user = testUser();
    page = await browser.newPage();
    errors = watchErrors(page);
    missing = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(new URL(response.url()).pathname);
    });
    await page.goto(dialer.origin);
  });
  afterEach(async () => {
    if (!page) return;
    await screenshot(page);
    await page.close();
    page = undefined;
  });

  const initiate = async (): Promise<string> =>
    (await request(app.url).post('/api/calls/sdk/initiate').set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201)).body.call._id;
  const patch = (id: string, body: object) => request(app.url).patch(`/api/calls/${id}`).set('Authorization', user.bearer).send(body).expect(200);

  /** Waits until the page's stream has received `count` events. */
  const receivedBy = async (count: number): Promise<string[][]> => {
    await page!.waitForFunction((wanted: number) => window.received.length >= wanted, { timeout: 10_000 }, count);
    return page!.evaluate(() => window.received);
  };

  it('mints a ticket, opens EventSource with it across origins, and sees a call\'s events live as another client changes it', async () => {
    const ticket = await page!.evaluate(
      async (api, token, types) => {
        const answer = await fetch(`${api}/api/events/stream-tickets`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
        const { ticket } = (await answer.json()) as { ticket: string };
        window.received = [];
        const source = new EventSource(`${api}/api/events/stream?ticket=${encodeURIComponent(ticket)}`);
        window.source = source;
        for (const type of types) {
          source.addEventListener(type, (message) => {
            const event = JSON.parse((message as MessageEvent<string>).data);
            window.received.push([message.type, event.data.call._id, event.data.call.status, (message as MessageEvent).lastEventId]);
            document.getElementById('log')!.textContent = window.received.map((line) => line.join(' ')).join('\n');
          });
        }
        await new Promise<void>((resolve, reject) => {
          source.onopen = () => resolve();
          source.onerror = () => reject(new Error(`EventSource failed (readyState ${source.readyState})`));
        });
        return ticket;
      },
      app.url,
      user.token,
      TYPES,
    );

    const id = await initiate();
    await patch(id, { status: 'ringing' });
    await patch(id, { status: 'in-progress' });
    await patch(id, { status: 'completed' });
    const received = await receivedBy(4);

    expect(received.map(([type, callId, status]) => [type, callId, status])).toEqual([
      ['call.initiated', id, 'initiated'],
      ['call.ringing', id, 'ringing'],
      ['call.answered', id, 'in-progress'],
      ['call.ended', id, 'completed'],
    ]);
    const feed = (await request(app.url).get('/api/events').set('Authorization', user.bearer).expect(200)).body.events as Array<{ id: string }>;
    // Received live means already relayed: the feed holds them all.
    expect(received.map((event) => event[3])).toEqual(feed.map((event) => event.id));

    // The same ticket again: refused, and EventSource gives up rather than retry a 401.
    const again = await page!.evaluate(async (api, used) => {
      const source = new EventSource(`${api}/api/events/stream?ticket=${encodeURIComponent(used)}`);
      const state = await new Promise<number>((resolve) => {
        source.onopen = () => resolve(-1);
        source.onerror = () => resolve(source.readyState);
      });
      source.close();
      const answer = await fetch(`${api}/api/events/stream?ticket=${encodeURIComponent(used)}`);
      return { state, status: answer.status, body: await answer.json() };
    }, app.url, ticket);

    expect(again).toEqual({
      state: 2, // EventSource.CLOSED
      status: 401,
      body: { success: false, statusCode: 401, error: 'Unauthorized', message: 'Invalid, expired or already used stream ticket' },
    });
    await page!.evaluate(() => window.source?.close());
    // The refused ticket is the browser's one complaint (its console names the 401), bar the test page's favicon.
    expect(errors.filter((error) => !/status of (401|404)/.test(error))).toEqual([]);
    expect(missing.filter((path) => path !== '/favicon.ico')).toEqual([]);
  });

  it('reads the stream with the client\'s streamEvents (fetch, with the bearer header) and resumes after Last-Event-ID', async () => {
    const first = await initiate();
    await patch(first, { status: 'ringing' });
    const read = async () => (await request(app.url).get('/api/events').set('Authorization', user.bearer).expect(200)).body.events as Array<{ id: string }>;
    /** The feed once it holds `count` events (the relay moves them a moment after the change). */
    const feed = async (count: number) => {
      let events = await read();
      for (const deadline = Date.now() + 5000; events.length < count && Date.now() < deadline; events = await read()) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return events;
    };
    const before = await feed(2);
    expect(before).toHaveLength(2);

    await page!.evaluate(
      (api, token, after) => {
        window.received = [];
        const stop = new AbortController();
        void (async () => {
          for await (const event of window.CallsClient.streamEvents({ baseUrl: api, token, lastEventId: after, signal: stop.signal })) {
            window.received.push([event.type, event.data.call._id, event.data.call.status, event.id]);
            if (window.received.length === 2) stop.abort();
          }
        })();
      },
      app.url,
      user.token,
      before[0].id,
    );
    await receivedBy(1);
    await patch(first, { status: 'no-answer' });
    const received = await receivedBy(2);

    const all = await feed(3);
    expect(received).toEqual([
      ['call.ringing', first, 'ringing', all[1].id],
      ['call.ended', first, 'no-answer', all[2].id],
    ]);
    expect(errors.filter((error) => !/status of 404/.test(error))).toEqual([]);
    expect(missing.filter((path) => path !== '/favicon.ico')).toEqual([]);
  });
});
