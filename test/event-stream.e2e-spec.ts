import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { databaseUri, RunningApp, startApp } from './support/app';
import { newId, signToken, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { openStream, SseEvent, SseStream } from './support/sse';

const STREAM = '/api/events/stream';
const TICKETS = '/api/events/stream-tickets';
const INITIATE = '/api/calls/sdk/initiate';

interface Event {
  id: string;
  type: string;
  data: { call: { _id: string; userId: string; status: string } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventIdOf = (organizationId: string, seq: number) => `${organizationId}:${String(seq).padStart(12, '0')}`;
const parsed = (events: SseEvent[]) => events.map((event) => JSON.parse(event.data ?? 'null') as Event);
const bearer = (user: TestUser) => ({ Authorization: user.bearer });

const initiate = async (app: RunningApp, user: TestUser): Promise<string> =>
  (await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201)).body.call._id;
const patch = (app: RunningApp, user: TestUser, id: string, body: object) =>
  request(app.url).patch(`/api/calls/${id}`).set('Authorization', user.bearer).send(body).expect(200);
const ticketFor = async (app: RunningApp, user: TestUser): Promise<string> =>
  (await request(app.url).post(TICKETS).set('Authorization', user.bearer).expect(201)).body.ticket;

/** The organization's whole feed, as GET /api/events pages it. */
async function feed(app: RunningApp, user: TestUser): Promise<Event[]> {
  const events: Event[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await request(app.url).get('/api/events').set('Authorization', user.bearer).query({ limit: 500, ...(after ? { after } : {}) }).expect(200);
    events.push(...page.body.events);
    if (page.body.events.length === 0) return events;
    after = page.body.nextCursor;
  }
}

async function feedOf(app: RunningApp, user: TestUser, count: number, timeoutMs = 15_000): Promise<Event[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await feed(app, user);
    if (events.length >= count || Date.now() > deadline) return events;
    await sleep(100);
  }
}

/** Ends with the stream, or fails after the timeout. */
async function endsWithin(stream: SseStream, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the stream was still open after ${timeoutMs} ms`)), timeoutMs)));
  await Promise.race([stream.ended, late]).finally(() => clearTimeout(timer));
  return Date.now() - started;
}

describe(`GET ${STREAM}`, () => {
  // Two processes sharing one database: streams are read from the second, changes written through the first.
  let writer: RunningApp;
  let reader: RunningApp;
  const open: SseStream[] = [];
  const stream = async (path: string, headers: Record<string, string> = {}, options?: { pause?: boolean }, app = reader) => {
    const opened = await openStream(app.url, path, headers, options);
    open.push(opened);
    return opened;
  };

  beforeAll(async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    writer = await startApp({ MONGODB_URI, THROTTLE_LIMIT: '100000' });
    reader = await startApp({ MONGODB_URI, SSE_HEARTBEAT_MS: '200' });
  });
  afterEach(() => open.splice(0).forEach((opened) => opened.close()));
  afterAll(async () => {
    await reader?.stop();
    await writer?.stop();
  });

  it('requires a bearer token or a ticket, and answers 401 in the one error shape', async () => {
    const none = await stream(STREAM);
    const bad = await stream(STREAM, { Authorization: 'Bearer not.a.token' });

    expect(none.status).toBe(401);
    expect(none.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token or stream ticket' });
    expect(bad.status).toBe(401);
    expectContract('get', STREAM, { status: bad.status, body: bad.body, headers: bad.headers });
  });

  it('sends each change stored by another process live, as id, event and data, in feed order, within a second', async () => {
    const user = testUser();
    const live = await stream(STREAM, bearer(user));
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(live.headers['cache-control']).toBe('no-cache, no-transform');

    const id = await initiate(writer, user);
    const stored: number[] = [Date.now()];
    for (const body of [{ status: 'ringing', providerCallId: `sinch-${newId()}` }, { status: 'in-progress' }, { status: 'completed' }]) {
      await patch(writer, user, id, body);
      stored.push(Date.now());
    }
    const events = await live.waitForEvents(4);

    const kept = await feedOf(writer, user, 4);
    expect(events.map((event) => event.id)).toEqual(kept.map((event) => event.id));
    expect(events.map((event) => event.event)).toEqual(['call.initiated', 'call.ringing', 'call.answered', 'call.ended']);
    expect(parsed(events)).toEqual(kept);
    events.forEach((event, index) => expect(event.at - stored[index]).toBeLessThan(1000));
  });

  it('resumes after Last-Event-ID (or after): the missed events, then live ones, with no gap and no duplicate', async () => {
    const user = testUser();
    const id = await initiate(writer, user);
    await patch(writer, user, id, { status: 'ringing' });
    await patch(writer, user, id, { status: 'in-progress' });
    const before = await feedOf(writer, user, 3);

    const resumed = await stream(STREAM, { ...bearer(user), 'Last-Event-ID': before[0].id });
    const viaAfter = await stream(`${STREAM}?after=${before[1].id}`, bearer(user));
    // The header wins: it is what a browser sends on reconnecting to the URL it first opened.
    const both = await stream(`${STREAM}?after=${before[0].id}`, { ...bearer(user), 'Last-Event-ID': before[1].id });
    await resumed.waitForEvents(2);
    await patch(writer, user, id, { status: 'completed' });
    const all = await feedOf(writer, user, 4);

    expect((await resumed.waitForEvents(3)).map((event) => event.id)).toEqual(all.slice(1).map((event) => event.id));
    expect((await viaAfter.waitForEvents(2)).map((event) => event.id)).toEqual(all.slice(2).map((event) => event.id));
    expect((await both.waitForEvents(2)).map((event) => event.id)).toEqual(all.slice(2).map((event) => event.id));
    await sleep(500);
    expect(resumed.events).toHaveLength(3);
    expect(viaAfter.events).toHaveLength(2);
  });

  it('replays a long history and goes live without a gap while another process keeps writing', async () => {
    const user = testUser();
    const ids = await Promise.all(Array.from({ length: 6 }, () => initiate(writer, user)));
    await Promise.all(ids.map((id) => patch(writer, user, id, { status: 'ringing' })));
    const first = (await feedOf(writer, user, 12))[0];

    const resumed = await stream(STREAM, { ...bearer(user), 'Last-Event-ID': first.id });
    await Promise.all(ids.map((id) => patch(writer, user, id, { status: 'in-progress' })));
    const all = await feedOf(writer, user, 18);

    expect((await resumed.waitForEvents(17)).map((event) => event.id)).toEqual(all.slice(1).map((event) => event.id));
  });

  it('answers 404 for a Last-Event-ID of another organization, 410 for one older than the events kept, 400 for a malformed one', async () => {
    const user = testUser();
    await initiate(writer, user);
    await feedOf(writer, user, 1);
    await reader.db.collection('event_heads').updateOne({ _id: user.organizationId } as object, { $set: { purgedThrough: 5 } });

    const foreign = await stream(STREAM, { ...bearer(user), 'Last-Event-ID': eventIdOf(newId(), 1) });
    const gone = await stream(`${STREAM}?after=${eventIdOf(user.organizationId, 4)}`, bearer(user));
    const malformed = await stream(STREAM, { ...bearer(user), 'Last-Event-ID': 'yesterday' });

    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'after is not an event of your organization' });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ success: false, statusCode: 410, error: 'Gone' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ success: false, statusCode: 400, message: 'Last-Event-ID must be an event id this service issued' });
  });

  it('filters by type, callId and userId', async () => {
    const organizationId = newId();
    const agent = testUser(organizationId);
    const colleague = testUser(organizationId);
    const mine = await stream(`${STREAM}?userId=${agent.userId}`, bearer(colleague));
    const ended = await stream(`${STREAM}?type=call.ended&type=call.answered`, bearer(agent));
    const [first, second] = [await initiate(writer, agent), await initiate(writer, colleague)];
    const ofCall = await stream(`${STREAM}?callId=${second}`, { ...bearer(agent), 'Last-Event-ID': (await feedOf(writer, agent, 1))[0].id });
    for (const id of [first, second]) {
      await patch(writer, agent, id, { status: 'in-progress' }).catch(() => undefined);
    }
    await patch(writer, colleague, second, { status: 'in-progress' });
    await patch(writer, agent, first, { status: 'completed' });
    await patch(writer, colleague, second, { status: 'failed' });
    const all = await feedOf(writer, agent, 6);

    const wanted = (keep: (event: Event) => boolean) => all.filter(keep).map((event) => event.id);
    expect((await mine.waitForEvents(3)).map((event) => event.id)).toEqual(wanted((event) => event.data.call.userId === agent.userId));
    expect((await ended.waitForEvents(4)).map((event) => event.id)).toEqual(wanted((event) => ['call.ended', 'call.answered'].includes(event.type)));
    expect((await ofCall.waitForEvents(3)).map((event) => event.id)).toEqual(wanted((event) => event.data.call._id === second));
    await sleep(400);
    expect([mine.events.length, ended.events.length, ofCall.events.length]).toEqual([3, 4, 3]);
  });

  it('keeps each organization to its own events', async () => {
    const user = testUser();
    const stranger = testUser();
    const live = await stream(STREAM, bearer(user));
    await initiate(writer, stranger);
    await initiate(writer, user);
    await feedOf(writer, stranger, 1);

    const [event] = parsed(await live.waitForEvents(1));
    await sleep(500);
    expect(live.events).toHaveLength(1);
    expect(event.id.startsWith(`${user.organizationId}:`)).toBe(true);
  });

  it('holds at most 64 KB for a client that stops reading and cuts it off after 10 s, while others keep up; it resumes with no gap', async () => {
    const user = testUser();
    const slow = await stream(STREAM, bearer(user), { pause: true });
    const healthy = await stream(STREAM, bearer(user));
    expect([slow.status, healthy.status]).toEqual([200, 200]);
    const ids = await Promise.all(Array.from({ length: 8 }, () => initiate(writer, user)));

    // Events of about 10 KB (the whole call goes in each, its notes with it), written in bursts: the client that
    // reads must get them all without being cut off. The kernel's socket buffers take a few MB from the client that
    // reads nothing; only past that does the service itself hold anything for it.
    const cutOff = () =>
      new RegExp(`Cut off an event stream of organization ${user.organizationId}: its client left (\\d+) bytes unread`).exec(reader.output());
    let written = ids.length;
    for (let round = 0; !cutOff() && written * 10_000 < 7_000_000; round++) {
      await Promise.all(ids.map((id, index) => patch(writer, user, id, { notes: `${round}:${index} `.padEnd(10_000, 'x') })));
      written += ids.length;
    }
    // Hundreds of large events: under load, the relay takes a while to move them all to the feed.
    const all = await feedOf(writer, user, written, 90_000);
    expect(all).toHaveLength(written);
    // The client that reads got every event meanwhile.
    expect((await healthy.waitForEvents(written, 30_000)).map((event) => event.id)).toEqual(all.map((event) => event.id));
    const deadline = Date.now() + 20_000;
    while (!cutOff() && Date.now() < deadline) await sleep(200);
    const unread = Number(cutOff()?.[1]);
    // What the service held for it: past the cap by at most the one event that took it there.
    const largest = Math.max(...all.map((event) => Buffer.byteLength(JSON.stringify(event)))) + 200;
    expect(unread).toBeGreaterThan(64 * 1024);
    expect(unread).toBeLessThanOrEqual(64 * 1024 + largest);
    expect(healthy.isEnded()).toBe(false);

    // The slow client reads what the kernel still held, then finds the stream ended, and resumes from there.
    slow.response.resume();
    await endsWithin(slow, 10_000);
    const got = slow.events.map((event) => event.id as string);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(written);
    expect(got).toEqual(all.slice(0, got.length).map((event) => event.id));
    const resumed = await stream(STREAM, { ...bearer(user), 'Last-Event-ID': got[got.length - 1] });
    const rest = await resumed.waitForEvents(written - got.length, 30_000);

    expect([...got, ...rest.map((event) => event.id)]).toEqual(all.map((event) => event.id));
    expect(parsed(rest)).toEqual(all.slice(got.length));
  }, 300_000);

  it('sends a comment line every SSE_HEARTBEAT_MS while nothing else is sent', async () => {
    const live = await stream(STREAM, bearer(testUser()));
    const before = live.comments;
    await sleep(1100);

    expect(live.comments - before).toBeGreaterThanOrEqual(4);
    expect(live.comments - before).toBeLessThanOrEqual(7);
    expect(live.events).toEqual([]);
  });

  it('ends the stream when the bearer token expires', async () => {
    const organizationId = newId();
    const userId = newId();
    const token = signToken({ sub: userId, organizationId, exp: Math.floor(Date.now() / 1000) + 2 });
    const live = await stream(STREAM, { Authorization: `Bearer ${token}` });
    expect(live.status).toBe(200);

    const took = await endsWithin(live, 5000);
    expect(took).toBeGreaterThan(500);
  });
});

describe(`POST ${TICKETS}`, () => {
  let app: RunningApp;
  /** A second process on the same database. */
  let other: RunningApp;
  const open: SseStream[] = [];
  const stream = async (path: string, headers: Record<string, string> = {}) => {
    const opened = await openStream(app.url, path, headers);
    open.push(opened);
    return opened;
  };

  beforeAll(async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    [app, other] = await Promise.all([startApp({ MONGODB_URI }), startApp({ MONGODB_URI })]);
  });
  afterEach(() => open.splice(0).forEach((opened) => opened.close()));
  afterAll(async () => {
    await other?.stop();
    await app?.stop();
  });

  it('requires a bearer token', async () => {
    await request(app.url).post(TICKETS).expect(401);
  });

  it('issues a ticket valid for 60 s that opens one stream of the user\'s organization, once; only its hash is stored', async () => {
    const user = testUser();
    const answer = await request(app.url).post(TICKETS).set('Authorization', user.bearer).expect(201);
    expectContract('post', TICKETS, answer);
    const { ticket, expiresAt } = answer.body;
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(55_000);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
    const stored = await app.db.collection('event_stream_tickets').find({}).toArray();
    expect(stored.map((doc) => doc._id)).toEqual([createHash('sha256').update(ticket).digest('hex')]);
    expect(JSON.stringify(stored)).not.toContain(ticket);

    const first = await stream(`${STREAM}?ticket=${ticket}`);
    const again = await stream(`${STREAM}?ticket=${ticket}`);
    await initiate(app, user);

    expect(first.status).toBe(200);
    expect(parsed(await first.waitForEvents(1))[0].id.startsWith(`${user.organizationId}:`)).toBe(true);
    expect(again.status).toBe(401);
    expect(again.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Invalid, expired or already used stream ticket' });
  });

  it('is single use even when redeemed on two processes at once', async () => {
    const user = testUser();
    for (let round = 0; round < 5; round++) {
      const ticket = await ticketFor(app, user);
      const answers = await Promise.all([stream(`${STREAM}?ticket=${ticket}`), openStream(other.url, `${STREAM}?ticket=${ticket}`)]);
      open.push(answers[1]);

      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    }
  });

  it('refuses an expired ticket, a made-up one, and one sent with another user\'s bearer token', async () => {
    const user = testUser();
    const expired = await ticketFor(app, user);
    await app.db.collection('event_stream_tickets').updateMany({ userId: user.userId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const foreignTicket = await ticketFor(app, testUser());

    const answers = await Promise.all([
      stream(`${STREAM}?ticket=${expired}`),
      stream(`${STREAM}?ticket=${randomBytes(32).toString('base64url')}`),
      stream(`${STREAM}?ticket=short`),
      stream(`${STREAM}?ticket=${foreignTicket}`, bearer(user)),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401]);
    expect((answers[3].body as { message: string }).message).toBe('The stream ticket belongs to another user');
  });

  it('keeps a ticket\'s stream to its organization: an after of another organization is 404', async () => {
    const user = testUser();
    const answer = await stream(`${STREAM}?ticket=${await ticketFor(app, user)}&after=${eventIdOf(newId(), 1)}`);

    expect(answer.status).toBe(404);
  });

  it('ends a ticket\'s stream when the token that asked for the ticket expires', async () => {
    const token = signToken({ sub: newId(), organizationId: newId(), exp: Math.floor(Date.now() / 1000) + 2 });
    const { ticket, expiresAt } = (await request(app.url).post(TICKETS).set('Authorization', `Bearer ${token}`).expect(201)).body;
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThan(2500);
    const live = await stream(`${STREAM}?ticket=${ticket}`);
    expect(live.status).toBe(200);

    await endsWithin(live, 5000);
  });
});

describe(`GET ${STREAM} on SIGTERM`, () => {
  it('ends every stream, then drains and exits 0 within 10 s', async () => {
    const app = await startApp();
    const user = testUser();
    const streams = await Promise.all(Array.from({ length: 3 }, () => openStream(app.url, STREAM, bearer(user))));
    expect(streams.map((opened) => opened.status)).toEqual([200, 200, 200]);
    const exited = new Promise<number | null>((resolve) => app.process.once('exit', (code) => resolve(code)));

    const signalled = Date.now();
    app.process.kill('SIGTERM');
    await Promise.all(streams.map((opened) => endsWithin(opened, 5000)));
    const code = await exited;

    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(app.output()).toContain('Closed the database connection');
    await app.stop();
  });
});
