import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { databaseUri, RunningApp, startApp } from './support/app';
import { TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { dice, notify, sendCallback } from './support/sinch';
import { findCall, relayed } from './support/factories';
import { Types } from 'mongoose';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EVENTS = '/api/events';
const INITIATE = '/api/calls/sdk/initiate';

interface Event {
  id: string;
  type: string;
  createdAt: string;
  organizationId: string;
  data: { call: Record<string, unknown> & { _id: string; updatedAt: string; createdAt: string }; changes: string[] };
}

const eventIdOf = (organizationId: string, seq: number) => `${organizationId}:${String(seq).padStart(12, '0')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the organization's whole feed, page by page. */
async function readFeed(app: RunningApp, user: TestUser, query: Record<string, string | number | string[]> = {}, limit = 100): Promise<Event[]> {
  const events: Event[] = [];
  let after: string | undefined;
  for (;;) {
    const response = await request(app.url)
      .get(EVENTS)
      .set('Authorization', user.bearer)
      .query({ ...query, limit, ...(after ? { after } : {}) })
      .expect(200);
    events.push(...response.body.events);
    if (response.body.events.length === 0 || response.body.nextCursor === after) return events;
    after = response.body.nextCursor;
  }
}

/** The feed once it holds `count` events (the relay moves them within moments of the change). */
async function feedOf(app: RunningApp, user: TestUser, count: number, timeoutMs = 15_000): Promise<Event[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await readFeed(app, user);
    if (events.length >= count || Date.now() > deadline) return events;
    await sleep(100);
  }
}

const initiate = (app: RunningApp, user: TestUser) =>
  request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' });
const patch = (app: RunningApp, user: TestUser, id: string, body: object) =>
  request(app.url).patch(`/api/calls/${id}`).set('Authorization', user.bearer).send(body);
const getCall = async (app: RunningApp, user: TestUser, id: string) =>
  (await request(app.url).get(`/api/calls/${id}`).set('Authorization', user.bearer).expect(200)).body.call;

describe(`GET ${EVENTS}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('has one event per change, of every type, each with the call as GET answered it after the change', async () => {
    const user = testUser();
    const initiated = (await initiate(app, user).expect(201)).body.call;
    const id = initiated._id;
    const providerCallId = `sinch-${randomBytes(6).toString('hex')}`;
    const ringing = (await patch(app, user, id, { status: 'ringing', providerCallId }).expect(200)).body.call;
    await sendCallback(app, notify(providerCallId, 'recording_finished', 'https://recordings.example.com/a.mp3')).expect(200);
    const recorded = await getCall(app, user, id);
    // Answered without a time: the provider's DiCE fills it in later, as a call.updated.
    const answered = (await patch(app, user, id, { status: 'in-progress' }).expect(200)).body.call;
    const updated = (await patch(app, user, id, { conversationId: 'conversation-1' }).expect(200)).body.call;
    const ended = (await patch(app, user, id, { status: 'completed', endReason: 'hung up' }).expect(200)).body.call;
    // Nothing changes: a repeated report, and a repeated recording.
    await patch(app, user, id, { status: 'completed', conversationId: 'conversation-1' }).expect(200);
    await sendCallback(app, notify(providerCallId, 'recording_finished', 'https://recordings.example.com/a.mp3')).expect(200);
    await sendCallback(app, dice(providerCallId)).expect(200);
    const costed = await getCall(app, user, id);

    const events = await feedOf(app, user, 7);
    await sleep(1_500);
    const response = await request(app.url).get(EVENTS).set('Authorization', user.bearer).expect(200);
    expectContract('get', EVENTS, response);
    const event = (seq: number, type: string, call: Event['data']['call'], changes: string[]) => ({
      id: eventIdOf(user.organizationId, seq),
      type,
      createdAt: seq === 1 ? call.createdAt : call.updatedAt,
      organizationId: user.organizationId,
      data: { call, changes },
    });
    expect(response.body).toEqual({
      success: true,
      events: [
        event(1, 'call.initiated', initiated, []),
        event(2, 'call.ringing', ringing, ['providerCallId', 'status']),
        event(3, 'call.recording.added', recorded, ['recordings']),
        event(4, 'call.answered', answered, ['status']),
        event(5, 'call.updated', updated, ['conversationId']),
        event(6, 'call.ended', ended, ['status', 'endTime', 'duration', 'endReason']),
        event(7, 'call.updated', costed, ['answerTime', 'cost']),
      ],
      nextCursor: eventIdOf(user.organizationId, 7),
    });
    expect(events).toEqual(response.body.events);
    // Every event's mark is gone; the relay wrote no call: what is left in the outbox is relayed events the
    // call's writers had not yet dropped (each write drops those whose marks are gone), the last one at least.
    const stored = await app.db.collection('calls').findOne({ organizationId: { $exists: true }, callToken: initiated.callToken });
    expect(await app.db.collection('event_outbox').countDocuments({ organizationId: new Types.ObjectId(user.organizationId) })).toBe(0);
    const left = (stored?.pendingEvents ?? []).map((pending: { seq: number; marked: boolean }) => [pending.seq, pending.marked]);
    expect(left[left.length - 1]).toEqual([7, true]);
  });

  it("leaves relayed events in the call, and the call's next write drops them with its change", async () => {
    const user = testUser();
    const id = (await initiate(app, user).expect(201)).body.call._id;
    await patch(app, user, id, { status: 'ringing' }).expect(200);
    await feedOf(app, user, 2);
    await relayed(app);
    const outbox = async () => ((await findCall(app, id))?.pendingEvents ?? []).map((pending: { seq: number; type: string }) => [pending.seq, pending.type]);
    // The relay does not write calls: the ringing event stays, relayed, and so may the initiated one.
    expect((await outbox()).slice(-1)).toEqual([[2, 'call.ringing']]);
    await patch(app, user, id, { status: 'in-progress' }).expect(200);
    expect(await outbox()).toEqual([[3, 'call.answered']]);
    expect((await feedOf(app, user, 3)).map((event) => event.type)).toEqual(['call.initiated', 'call.ringing', 'call.answered']);
    // Never in an answer.
    expect(await getCall(app, user, id)).not.toHaveProperty('pendingEvents');
  });

  it('pages with after and limit, filters by type and call, and answers an empty page with the after given', async () => {
    const user = testUser();
    const first = (await initiate(app, user).expect(201)).body.call._id;
    const second = (await initiate(app, user).expect(201)).body.call._id;
    await patch(app, user, first, { status: 'ringing' }).expect(200);
    await patch(app, user, second, { status: 'failed' }).expect(200);
    const all = await feedOf(app, user, 4);
    // Across calls the feed has one order, the relay's; per call, the order the changes were stored.
    const typesOf = (callId: string) => all.filter((event) => event.data.call._id === callId).map((event) => event.type);
    expect(typesOf(first)).toEqual(['call.initiated', 'call.ringing']);
    expect(typesOf(second)).toEqual(['call.initiated', 'call.ended']);

    const page = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ limit: 3 }).expect(200);
    expect(page.body.events.map((event: Event) => event.id)).toEqual(all.slice(0, 3).map((event) => event.id));
    expect(page.body.nextCursor).toBe(all[2].id);
    const rest = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ after: page.body.nextCursor }).expect(200);
    expect(rest.body.events).toEqual([all[3]]);
    const empty = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ after: all[3].id }).expect(200);
    expect(empty.body).toEqual({ success: true, events: [], nextCursor: all[3].id });

    const typed = await request(app.url).get(`${EVENTS}?type=call.ended&type=call.ringing`).set('Authorization', user.bearer).expect(200);
    expect(typed.body.events).toEqual(all.filter((event) => event.type === 'call.ringing' || event.type === 'call.ended'));
    const ofCall = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ callId: second }).expect(200);
    expect(ofCall.body.events.map((event: Event) => [event.type, event.data.call._id])).toEqual([
      ['call.initiated', second],
      ['call.ended', second],
    ]);
  });

  it('reads no further than the head: an event stored past it is shown once the relay moves the head over it', async () => {
    const user = testUser();
    await initiate(app, user).expect(201);
    const [first] = await feedOf(app, user, 1);
    // What a relay leaves between inserting an event and writing the head over it (or a relay that died there).
    const stored = await app.db.collection('events').findOne({ _id: first.id as never });
    const second = eventIdOf(user.organizationId, 2);
    await app.db.collection('events').insertOne({ ...stored, _id: second, callSeq: 2 } as never);
    const end = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ after: first.id }).expect(200);
    expect(end.body).toEqual({ success: true, events: [], nextCursor: first.id });
    expect((await readFeed(app, user)).map((event) => event.id)).toEqual([first.id]);
    await app.db.collection('event_heads').updateOne({ _id: user.organizationId as never }, { $set: { seq: 2 } });
    expect((await readFeed(app, user)).map((event) => event.id)).toEqual([first.id, second]);
  });

  it('keeps copies of the newest events in the head, each the event stored under its number, and reads the newest there', async () => {
    const user = testUser();
    for (let i = 0; i < 3; i++) await initiate(app, user).expect(201);
    const events = await feedOf(app, user, 3);
    const head = await app.db.collection('event_heads').findOne({ _id: user.organizationId as never });
    const stored = await app.db.collection('events').find({ organizationId: user.organizationId }).sort({ _id: 1 }).toArray();
    expect(stored).toHaveLength(3);
    // In their slots (the number modulo 100), each written with the head that covers it.
    expect((Object.values(head?.copies ?? {}) as { _id: string }[]).sort((a, b) => a._id.localeCompare(b._id))).toEqual(stored);
    expect(Object.keys(head?.copies ?? {}).sort()).toEqual(['s1', 's2', 's3']);
    // On FerretDB a lookup in events scans it up to the document: the newest are read from the head instead.
    await app.db.collection('events').deleteMany({ organizationId: user.organizationId });
    expect(await readFeed(app, user)).toEqual(events);
  });

  it('shows an organization only its own events, and refuses a cursor of another', async () => {
    const owner = testUser();
    const stranger = testUser();
    await initiate(app, owner).expect(201);
    const [event] = await feedOf(app, owner, 1);
    expect(event.organizationId).toBe(owner.organizationId);

    const theirs = await request(app.url).get(EVENTS).set('Authorization', stranger.bearer).expect(200);
    expect(theirs.body).toEqual({ success: true, events: [], nextCursor: null });
    const foreign = await request(app.url).get(EVENTS).set('Authorization', stranger.bearer).query({ after: event.id }).expect(404);
    expectContract('get', EVENTS, foreign);
    expect(foreign.body.message).toBe('after is not an event of your organization');
    await request(app.url).get(EVENTS).query({ after: event.id }).expect(401);
  });

  it.each([
    [{ after: 'nope' }, /after must be an event id/],
    [{ limit: '0' }, /limit must not be less than 1/],
    [{ limit: '501' }, /limit must not be greater than 500/],
    [{ type: 'call.exploded' }, /type/],
    [{ callId: 'x' }, /callId must be a 24-character hexadecimal id/],
  ])('answers 400 to %p', async (query, message) => {
    const response = await request(app.url).get(EVENTS).set('Authorization', testUser().bearer).query(query).expect(400);
    expectContract('get', EVENTS, response);
    expect(JSON.stringify(response.body)).toMatch(message);
  });
});

describe(`GET ${EVENTS} on two processes sharing one database`, () => {
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    [first, second] = await Promise.all([startApp({ MONGODB_URI }), startApp({ MONGODB_URI })]);
  });
  afterAll(async () => {
    await first.stop();
    await second.stop();
  });

  it('pages without a gap or a duplicate while both write, and ends with exactly what is stored', async () => {
    const user = testUser();
    const apps = [first, second];
    const CALLS = 12;
    let writing = true;
    const seen: Event[] = [];
    // A reader that pages all along, on either process, from where it stopped.
    const reader = (async () => {
      let after: string | undefined;
      let turn = 0;
      while (writing || seen.length < CALLS * 4) {
        const app = apps[turn++ % 2];
        const response = await request(app.url).get(EVENTS).set('Authorization', user.bearer).query({ limit: 3, ...(after ? { after } : {}) }).expect(200);
        seen.push(...response.body.events);
        after = response.body.nextCursor ?? after;
        if (!writing && response.body.events.length === 0) await sleep(100);
        if (!writing && turn > 2_000) break;
      }
    })();
    await Promise.all(
      Array.from({ length: CALLS }, async (_, index) => {
        const app = (index: number) => apps[index % 2];
        const id = (await initiate(app(index), user).expect(201)).body.call._id;
        await patch(app(index + 1), user, id, { status: 'ringing' }).expect(200);
        await patch(app(index), user, id, { status: 'in-progress' }).expect(200);
        await patch(app(index + 1), user, id, { status: 'completed' }).expect(200);
      }),
    );
    writing = false;
    await reader;

    const stored = await first.db.collection('events').find({ organizationId: user.organizationId }).sort({ _id: 1 }).toArray();
    expect(stored).toHaveLength(CALLS * 4);
    expect(seen.map((event) => event.id)).toEqual(stored.map((event) => event._id));
    expect(seen.map((event) => event.id)).toEqual(Array.from({ length: CALLS * 4 }, (_, index) => eventIdOf(user.organizationId, index + 1)));
    // Per call, in the order the changes were stored.
    const byCall = new Map<string, string[]>();
    for (const event of seen) byCall.set(event.data.call._id, [...(byCall.get(event.data.call._id) ?? []), event.type]);
    expect(byCall.size).toBe(CALLS);
    for (const types of byCall.values()) expect(types).toEqual(['call.initiated', 'call.ringing', 'call.answered', 'call.ended']);
  });
});

describe('call events across a crash (kill -9 between the writes)', () => {
  const crashAndRestart = async (step: string, act: (app: RunningApp, user: TestUser, callId?: string) => Promise<unknown>, before?: 'initiate') => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    const user = testUser();
    let callId: string | undefined;
    if (before) {
      const setup = await startApp({ MONGODB_URI });
      callId = (await initiate(setup, user).expect(201)).body.call._id;
      await feedOf(setup, user, 1);
      const gone = new Promise((resolve) => setup.process.once('exit', resolve));
      setup.process.kill('SIGKILL');
      await gone;
      // Not stop(): that would drop the database the next process takes over.
      await setup.db.close();
    }
    const crashing = await startApp({ MONGODB_URI, CALLS_TEST_CRASH_AT: step });
    const exited = new Promise<number | null>((resolve) => crashing.process.once('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 137 : null)));
    await act(crashing, user, callId).catch(() => undefined);
    expect(await exited).toBe(137);
    await crashing.db.close();
    const restarted = await startApp({ MONGODB_URI });
    return { app: restarted, user, callId };
  };

  /** Every mark deleted (by the relay, a relay that took over, or under the call's lock for an unwritten one). */
  const marksGone = async (app: RunningApp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while ((await app.db.collection('event_outbox').countDocuments({})) > 0 && Date.now() < deadline) await sleep(200);
    return app.db.collection('event_outbox').countDocuments({});
  };

  it.each(['after-outbox-mark', 'after-call-write', 'after-event-insert', 'after-head-write', 'after-marks-delete'])(
    'relays an initiate killed %s exactly once after a restart, and never an event for a call not stored',
    async (step) => {
      const { app, user } = await crashAndRestart(step, (crashing, user) => initiate(crashing, user));
      try {
        const calls = await app.db.collection('calls').find({}).toArray();
        if (step === 'after-outbox-mark') {
          expect(calls).toHaveLength(0);
          await sleep(3_000);
          expect(await readFeed(app, user)).toEqual([]);
          return;
        }
        expect(calls).toHaveLength(1);
        const events = await feedOf(app, user, 1);
        await sleep(2_000);
        expect((await readFeed(app, user)).map((event) => [event.id, event.type, event.data.call._id])).toEqual([
          [eventIdOf(user.organizationId, 1), 'call.initiated', calls[0]._id.toHexString()],
        ]);
        expect(events).toHaveLength(1);
        // A relay that died holding its organization's lease holds it up until the lease (10 s) runs out; the
        // one that takes it over deletes the marks of the events it finds stored instead of inserting them again.
        expect(await marksGone(app)).toBe(0);
        expect(await readFeed(app, user)).toEqual(events);
        expect(await app.db.collection('events').countDocuments({ organizationId: user.organizationId })).toBe(1);
      } finally {
        await app.stop();
      }
    },
    45_000,
  );

  it.each(['after-outbox-mark', 'after-call-write', 'after-event-insert', 'after-head-write', 'after-marks-delete'])(
    'relays a report killed %s once if it was stored, and not at all if it was not',
    async (step) => {
      const { app, user, callId } = await crashAndRestart(step, (crashing, user, id) => patch(crashing, user, id as string, { status: 'ringing' }), 'initiate');
      try {
        const call = await getCall(app, user, callId as string);
        const stored = step !== 'after-outbox-mark';
        expect(call.status).toBe(stored ? 'ringing' : 'initiated');
        const events = await feedOf(app, user, stored ? 2 : 1);
        await sleep(2_000);
        expect(await readFeed(app, user)).toEqual(events);
        expect(events.map((event) => event.type)).toEqual(stored ? ['call.initiated', 'call.ringing'] : ['call.initiated']);
        if (stored) expect(events[1].data.call).toEqual(call);
        if (!stored) {
          // The mark of the event never written: the call's next write reuses its number (and its mark).
          const answered = (await patch(app, user, callId as string, { status: 'ringing' }).expect(200)).body.call;
          const after = await feedOf(app, user, 2);
          expect(after.map((event) => [event.type, event.data.call.version])).toEqual([
            ['call.initiated', 1],
            ['call.ringing', 2],
          ]);
          expect(after[1].data.call).toEqual(answered);
        }
        expect(await marksGone(app)).toBe(0);
        expect(await readFeed(app, user)).toHaveLength(2);
      } finally {
        await app.stop();
      }
    },
  );
});

describe("call events across a crash after a batch of marks' insert, before the calls' writes", () => {
  it('stores nothing of the requests in the batch, relays every stored change once, and the next write of a call reuses its mark', async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    const user = testUser();
    const setup = await startApp({ MONGODB_URI });
    const existing: string[] = [];
    for (let index = 0; index < 4; index++) existing.push((await initiate(setup, user).expect(201)).body.call._id);
    await feedOf(setup, user, 4);
    const gone = new Promise((resolve) => setup.process.once('exit', resolve));
    setup.process.kill('SIGKILL');
    await gone;
    await setup.db.close();
    // Dies the first time an insert of more than one mark answered, before any of its requests writes its call.
    const crashing = await startApp({ MONGODB_URI, CALLS_TEST_CRASH_AT: 'after-mark-batch' });
    let died = false;
    crashing.process.once('exit', () => (died = true));
    for (let round = 0; round < 10 && !died; round++) {
      await Promise.allSettled([...existing.map((id) => patch(crashing, user, id, { status: 'ringing' })), ...existing.map(() => initiate(crashing, user))]);
    }
    expect(died).toBe(true);
    // The batch's marks are stored: marks of reports of the calls there, or of initiates whose calls never came.
    expect(await crashing.db.collection('event_outbox').countDocuments({})).toBeGreaterThan(1);
    await crashing.db.close();
    const app = await startApp({ MONGODB_URI });
    try {
      const calls = await app.db.collection('calls').find({ organizationId: new Types.ObjectId(user.organizationId) }).toArray();
      const expected = calls.flatMap((call) => (call.status === 'ringing' ? [`${call._id.toHexString()} call.initiated`, `${call._id.toHexString()} call.ringing`] : [`${call._id.toHexString()} call.initiated`]));
      const events = await feedOf(app, user, expected.length, 30_000);
      await sleep(2_000);
      const feed = await readFeed(app, user);
      expect(feed).toEqual(events);
      // Nothing lost, nothing twice, nothing of a call not stored, numbered without a gap.
      expect(feed.map((event) => `${event.data.call._id} ${event.type}`).sort()).toEqual(expected.sort());
      expect(feed.map((event) => event.id)).toEqual(expected.map((_, index) => eventIdOf(user.organizationId, index + 1)));
      // A call whose report was in the killed batch was not written; its next write reuses the number and its mark.
      const unwritten = existing.filter((id) => calls.find((call) => call._id.toHexString() === id)?.status === 'initiated');
      for (const id of unwritten) expect((await patch(app, user, id, { status: 'ringing' }).expect(200)).body.call.status).toBe('ringing');
      const after = await feedOf(app, user, expected.length + unwritten.length, 30_000);
      await sleep(1_000);
      expect(await readFeed(app, user)).toEqual(after);
      for (const id of existing) {
        expect(after.filter((event) => event.data.call._id === id).map((event) => [event.type, event.data.call.version])).toEqual([
          ['call.initiated', 1],
          ['call.ringing', 2],
        ]);
      }
      // Left: only the marks of initiates killed before their call's insert (kept a few minutes, then deleted).
      const ofStoredCalls = { callId: { $in: calls.map((call) => call._id) } };
      const deadline = Date.now() + 20_000;
      while ((await app.db.collection('event_outbox').countDocuments(ofStoredCalls)) > 0 && Date.now() < deadline) await sleep(200);
      expect(await app.db.collection('event_outbox').countDocuments(ofStoredCalls)).toBe(0);
    } finally {
      await app.stop();
    }
  }, 90_000);
});

describe('marks of concurrent requests', () => {
  it('go to the database in one insert that the requests share, each request answered with its own call', async () => {
    const log = join(tmpdir(), `mark-queries-${randomBytes(6).toString('hex')}.jsonl`);
    const app = await startApp({ NODE_OPTIONS: `--require ${join(__dirname, 'support', 'record-queries.js')}`, QUERY_LOG: log });
    try {
      const user = testUser();
      await initiate(app, user).expect(201);
      writeFileSync(log, '');
      const answers = await Promise.all(Array.from({ length: 12 }, () => initiate(app, user).expect(201)));
      expect(new Set(answers.map((answer) => answer.body.call._id)).size).toBe(12);
      const inserts = readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { collection: string; method: string; filter: unknown })
        .filter((shape) => shape.collection === 'event_outbox' && shape.method.startsWith('insert'));
      // Every mark stored, in fewer inserts than requests: one insert carried several requests' marks.
      const sizes = inserts.map((shape) => (Array.isArray(shape.filter) ? shape.filter.length : 1));
      expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(12);
      expect(inserts.length).toBeLessThan(12);
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      const events = await feedOf(app, user, 13);
      expect(new Set(events.map((event) => event.data.call._id)).size).toBe(13);
    } finally {
      await app.stop();
      rmSync(log, { force: true });
    }
  }, 45_000);
});

describe('call events of several calls across a crash between the events\' insert and the marks\' delete', () => {
  it.each(['after-event-insert', 'after-head-write'])('relays each stored call once after a kill %s: the relay that takes over deletes the marks of what it finds stored', async (step) => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    const user = testUser();
    const crashing = await startApp({ MONGODB_URI, CALLS_TEST_CRASH_AT: step });
    const exited = new Promise<number | null>((resolve) => crashing.process.once('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 137 : null)));
    await Promise.allSettled(Array.from({ length: 6 }, () => initiate(crashing, user)));
    expect(await exited).toBe(137);
    // The batch's events were inserted: the relay died after the insert, before deleting the batch's marks.
    const inserted = await crashing.db.collection('events').countDocuments({ organizationId: user.organizationId });
    expect(inserted).toBeGreaterThan(0);
    expect(await crashing.db.collection('event_outbox').countDocuments({})).toBeGreaterThan(0);
    await crashing.db.close();
    const app = await startApp({ MONGODB_URI });
    try {
      const calls = await app.db.collection('calls').find({ organizationId: new Types.ObjectId(user.organizationId) }).toArray();
      const events = await feedOf(app, user, calls.length, 30_000);
      await sleep(2_000);
      // Left: only the marks of initiates killed before their call's insert (kept a few minutes, then deleted).
      const ofStoredCalls = { callId: { $in: calls.map((call) => call._id) } };
      const deadline = Date.now() + 20_000;
      while ((await app.db.collection('event_outbox').countDocuments(ofStoredCalls)) > 0 && Date.now() < deadline) await sleep(200);
      expect(await app.db.collection('event_outbox').countDocuments(ofStoredCalls)).toBe(0);
      const feed = await readFeed(app, user);
      expect(feed).toEqual(events);
      expect(feed.map((event) => event.id)).toEqual(Array.from({ length: calls.length }, (_, index) => eventIdOf(user.organizationId, index + 1)));
      expect(feed.map((event) => event.data.call._id).sort()).toEqual(calls.map((call) => call._id.toHexString()).sort());
      expect(await app.db.collection('events').countDocuments({ organizationId: user.organizationId })).toBe(calls.length);
    } finally {
      await app.stop();
    }
  }, 60_000);
});

describe('call events after an upgrade from marks per call', () => {
  it("relays the events of a call marked whole (the mark's _id the call's), takes them out of it, and keeps the call's order", async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    const user = testUser();
    const first = await startApp({ MONGODB_URI });
    let second: RunningApp | undefined;
    try {
      const call = (await initiate(first, user).expect(201)).body.call;
      await feedOf(first, user, 1);
      await relayed(first);
      // Not stop(): that would drop the database the next process takes over.
      const gone = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGTERM');
      await gone;
      // What the build before marks per event left: an unmarked event in the outbox, and the call's own mark.
      const _id = new Types.ObjectId(call._id);
      const updated = { ...call, conversationId: 'conversation-legacy', version: 2 };
      await first.db.collection('calls').updateOne(
        { _id },
        {
          $set: {
            conversationId: 'conversation-legacy',
            eventSeq: 2,
            pendingEvents: [{ seq: 2, type: 'call.updated', createdAt: new Date(), changes: ['conversationId'], call: JSON.stringify(updated) }],
          },
        },
      );
      await first.db.collection('event_outbox').insertOne({ _id, organizationId: new Types.ObjectId(user.organizationId), markedAt: new Date() } as never);
      await first.db.close();
      second = await startApp({ MONGODB_URI });
      const events = await feedOf(second, user, 2);
      expect(events.map((event) => [event.type, event.data.call.version])).toEqual([
        ['call.initiated', 1],
        ['call.updated', 2],
      ]);
      expect(events[1].data.call).toEqual(updated);
      await relayed(second);
      expect((await findCall(second, call._id))?.pendingEvents).toEqual([]);
      await patch(second, user, call._id, { status: 'ringing' }).expect(200);
      expect((await feedOf(second, user, 3)).map((event) => event.type)).toEqual(['call.initiated', 'call.updated', 'call.ringing']);
      await sleep(1_500);
      expect(await readFeed(second, user)).toHaveLength(3);
    } finally {
      await second?.stop();
    }
  });
});

describe(`GET ${EVENTS} after the retention`, () => {
  it('purges events older than EVENT_RETENTION_DAYS and answers 410 to an after before what is kept', async () => {
    const MONGODB_URI = databaseUri(`calls_test_${randomBytes(6).toString('hex')}`);
    const user = testUser();
    const first = await startApp({ MONGODB_URI, EVENT_RETENTION_DAYS: '7' });
    let second: RunningApp | undefined;
    try {
      await initiate(first, user).expect(201);
      await initiate(first, user).expect(201);
      await initiate(first, user).expect(201);
      const events = await feedOf(first, user, 3);
      const old = new Date(Date.now() - 8 * 86_400_000);
      await first.db.collection('events').updateMany({ _id: { $in: [events[0].id, events[1].id] } as never }, { $set: { createdAt: old } });
      // Another process purges on its first relay of the organization.
      second = await startApp({ MONGODB_URI, EVENT_RETENTION_DAYS: '7' });
      await initiate(second, user).expect(201);
      const kept = await feedOf(second, user, 2);
      const deadline = Date.now() + 10_000;
      let gone = await request(second.url).get(EVENTS).set('Authorization', user.bearer).query({ after: eventIdOf(user.organizationId, 1) });
      while (gone.status !== 410 && Date.now() < deadline) {
        await sleep(100);
        gone = await request(second.url).get(EVENTS).set('Authorization', user.bearer).query({ after: eventIdOf(user.organizationId, 1) });
      }
      expect(gone.status).toBe(410);
      expectContract('get', EVENTS, gone);
      expect(gone.body.message).toMatch(/older than the events kept/);
      expect((await readFeed(second, user)).map((event) => event.id)).toEqual([eventIdOf(user.organizationId, 3), eventIdOf(user.organizationId, 4)]);
      expect(kept.length).toBeGreaterThanOrEqual(2);
      const fromKept = await request(second.url).get(EVENTS).set('Authorization', user.bearer).query({ after: eventIdOf(user.organizationId, 2) }).expect(200);
      expect(fromKept.body.events.map((event: Event) => event.id)).toEqual([eventIdOf(user.organizationId, 3), eventIdOf(user.organizationId, 4)]);
      // The purge records how far it got before it deletes: the delete may follow the 410 by a moment.
      const purged = Date.now() + 10_000;
      while ((await first.db.collection('events').countDocuments({ organizationId: user.organizationId })) > 2 && Date.now() < purged) await sleep(50);
      const left = await first.db.collection('events').find({ organizationId: user.organizationId }).sort({ _id: 1 }).toArray();
      expect(left.map((event) => event._id)).toEqual([eventIdOf(user.organizationId, 3), eventIdOf(user.organizationId, 4)]);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});

