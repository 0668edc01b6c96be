import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp } from './support/app';
import { newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { CallSeed, findCall, insertCall, relayed } from './support/factories';

const CALLS = '/api/calls';
const CALL = '/api/calls/{id}';
const INITIATE = '/api/calls/sdk/initiate';

const TERMINALS = ['completed', 'busy', 'no-answer', 'canceled', 'failed'] as const;
const RANK: Record<string, number> = { initiated: 0, ringing: 1, 'in-progress': 2, completed: 3, busy: 3, 'no-answer': 3, canceled: 3, failed: 3 };

const secondsAgo = (seconds: number): Date => new Date(Date.now() - seconds * 1000);
const after = (time: Date, seconds: number): string => new Date(time.getTime() + seconds * 1000).toISOString();

describe(`PATCH ${CALL}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const patch = (user: TestUser | null, id: string, body: unknown) => {
    const call = request(app.url).patch(`${CALLS}/${id}`);
    if (user) call.set('Authorization', user.bearer);
    return call.send(body as object);
  };

  /** A call of the user's organization that started a minute ago, in the given state. */
  async function callOf(user: TestUser, seed: Partial<CallSeed> = {}): Promise<{ id: string; startTime: Date }> {
    const startTime = seed.startTime ?? secondsAgo(60);
    const id = await insertCall(app, { organizationId: user.organizationId, userId: user.userId, ...seed, startTime });
    return { id, startTime };
  }

  describe('what the dialer reports', () => {
    it('follows a call from initiate through ringing and in-progress to completed, with its duration', async () => {
      const user = testUser();
      const initiated = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);
      const { _id: id, startTime } = initiated.body.call;
      const start = new Date(startTime);

      const ringing = await patch(user, id, { status: 'ringing', providerCallId: 'sinch-1' }).expect(200);
      const answered = await patch(user, id, { status: 'in-progress', answerTime: after(start, 0.25) }).expect(200);
      const completed = await patch(user, id, { status: 'completed', endTime: after(start, 42.9), endReason: 'hung up by callee' }).expect(200);

      for (const response of [ringing, answered, completed]) expectContract('patch', CALL, response);
      expect(ringing.body).toEqual({ success: true, call: { ...initiated.body.call, status: 'ringing', providerCallId: 'sinch-1', version: 2, updatedAt: expect.any(String) } });
      expect(answered.body.call).toMatchObject({ status: 'in-progress', answerTime: after(start, 0.25), endTime: null, duration: null });
      expect(completed.body.call).toMatchObject({
        status: 'completed',
        providerCallId: 'sinch-1',
        answerTime: after(start, 0.25),
        endTime: after(start, 42.9),
        duration: 42,
        endReason: 'hung up by callee',
      });
      const stored = await request(app.url).get(`${CALLS}/${id}`).set('Authorization', user.bearer).expect(200);
      expect(stored.body.call).toEqual(completed.body.call);
    });

    it.each(['completed', 'failed'])('ends an answered call as %s, keeping its talk time', async (status) => {
      const user = testUser();
      const { id, startTime } = await callOf(user, { status: 'in-progress', answerTime: secondsAgo(50) });

      const response = await patch(user, id, { status, endTime: after(startTime, 30) }).expect(200);

      expectContract('patch', CALL, response);
      expect(response.body.call).toMatchObject({ status, endTime: after(startTime, 30), duration: 20 });
    });

    it.each<[string, string, object]>([
      ['initiated', 'in-progress', { answerTime: 'start+1' }],
      ['initiated', 'completed', {}],
      ['initiated', 'failed', {}],
      ['ringing', 'no-answer', {}],
      ['initiated', 'canceled', {}],
    ])('skips forward from %s to %s', async (from, to, extra) => {
      const user = testUser();
      const { id, startTime } = await callOf(user, { status: from });
      const body = { status: to, ...('answerTime' in extra ? { answerTime: after(startTime, 1) } : {}) };

      const response = await patch(user, id, body).expect(200);

      expectContract('patch', CALL, response);
      expect(response.body.call.status).toBe(to);
    });

    it.each(['busy', 'no-answer', 'canceled'])('refuses with 409 to end an answered call as %s, and changes nothing', async (status) => {
      const user = testUser();
      const { id } = await callOf(user, { status: 'in-progress', answerTime: secondsAgo(50) });
      const before = await findCall(app, id);

      const response = await patch(user, id, { status }).expect(409);

      expectContract('patch', CALL, response);
      expect(response.body).toMatchObject({ statusCode: 409, message: `The call was answered; it cannot end as ${status}` });
      expect(response.body.call).toMatchObject({ status: 'in-progress', endTime: null, duration: null });
      expect(await findCall(app, id)).toEqual(before);
    });

    it.each(['busy', 'no-answer', 'canceled'])('refuses with 422 an answerTime with the unanswered end %s, and changes nothing', async (status) => {
      const user = testUser();
      const { id, startTime } = await callOf(user);
      const before = await findCall(app, id);

      const response = await patch(user, id, { status, answerTime: after(startTime, 1) }).expect(422);

      expectContract('patch', CALL, response);
      expect(response.body).toMatchObject({ statusCode: 422, message: 'answerTime can only be reported for a call that is in-progress, completed or failed' });
      expect(await findCall(app, id)).toEqual(before);
    });

    it('ends a call that was never answered with no talk time, now when no endTime is given', async () => {
      const user = testUser();
      const { id } = await callOf(user, { status: 'ringing' });
      const before = Date.now();

      const response = await patch(user, id, { status: 'no-answer' }).expect(200);

      expect(response.body.call).toMatchObject({ status: 'no-answer', answerTime: null, duration: 0 });
      const endTime = Date.parse(response.body.call.endTime);
      expect(endTime).toBeGreaterThanOrEqual(before - 1000);
      expect(endTime).toBeLessThanOrEqual(Date.now() + 1000);
    });

    describe('a repeated report is harmless', () => {
      it.each(['initiated', 'ringing', 'in-progress', ...TERMINALS])('reporting %s again changes nothing', async (status) => {
        const user = testUser();
        const { id } = await callOf(user, { status, ...(RANK[status] === 3 ? { endTime: secondsAgo(10), duration: 0 } : {}) });
        const before = await findCall(app, id);

        const response = await patch(user, id, { status }).expect(200);

        expectContract('patch', CALL, response);
        expect(response.body.call.status).toBe(status);
        expect(await findCall(app, id)).toEqual(before);
      });

      it('a retried end keeps the endTime and duration first stored', async () => {
        const user = testUser();
        const { id, startTime } = await callOf(user, { status: 'in-progress', answerTime: secondsAgo(55) });
        const first = await patch(user, id, { status: 'completed', endTime: after(startTime, 15) }).expect(200);

        const retried = await patch(user, id, { status: 'completed', endTime: after(startTime, 20) }).expect(200);

        expect(retried.body.call).toEqual(first.body.call);
        expect(retried.body.call).toMatchObject({ endTime: after(startTime, 15), duration: 10 });
      });
    });

    describe('a status never moves backwards and an end is final', () => {
      it.each<[string, string, string]>([
        ['ringing', 'initiated', 'The call is already ringing; it cannot go back to initiated'],
        ['in-progress', 'ringing', 'The call is already in-progress; it cannot go back to ringing'],
        ['in-progress', 'initiated', 'The call is already in-progress; it cannot go back to initiated'],
        ['completed', 'in-progress', 'The call has already ended as completed; it cannot become in-progress'],
        ['completed', 'failed', 'The call has already ended as completed; it cannot become failed'],
        ['busy', 'no-answer', 'The call has already ended as busy; it cannot become no-answer'],
        ['canceled', 'completed', 'The call has already ended as canceled; it cannot become completed'],
      ])('%s → %s is 409 with the call as it is, and changes nothing', async (from, to, message) => {
        const user = testUser();
        const { id } = await callOf(user, { status: from, ...(RANK[from] === 3 ? { endTime: secondsAgo(10), duration: 0 } : {}) });
        const before = await findCall(app, id);
        const current = await request(app.url).get(`${CALLS}/${id}`).set('Authorization', user.bearer).expect(200);

        const response = await patch(user, id, { status: to, providerCallId: 'never-stored' }).expect(409);

        expectContract('patch', CALL, response);
        expect(response.body).toEqual({ success: false, statusCode: 409, error: 'Conflict', message, call: current.body.call });
        expect(await findCall(app, id)).toEqual(before);
        expect(await app.db.collection('provider_call_ids').countDocuments()).toBe(0);
      });
    });

    describe('fields are filled once, never overwritten', () => {
      it('takes a providerCallId that arrives after the call ended', async () => {
        const user = testUser();
        const { id } = await callOf(user, { status: 'completed', endTime: secondsAgo(5), duration: 0 });

        const response = await patch(user, id, { providerCallId: 'late-id' }).expect(200);

        expectContract('patch', CALL, response);
        expect(response.body.call).toMatchObject({ status: 'completed', providerCallId: 'late-id' });
      });

      it('keeps set fields and answers the stored values when a report carries others', async () => {
        const user = testUser();
        const { id, startTime } = await callOf(user, { status: 'completed', providerCallId: 'first-id', answerTime: secondsAgo(50), endTime: secondsAgo(40), duration: 10 });
        await patch(user, id, { conversationId: 'conv-1', endReason: 'first reason' }).expect(200);
        // The relay empties the outbox meanwhile: compare the stored call once it has.
        await relayed(app);
        const before = await findCall(app, id);

        const response = await patch(user, id, {
          providerCallId: 'second-id',
          conversationId: 'conv-2',
          endReason: 'second reason',
          answerTime: after(startTime, 1),
          endTime: after(startTime, 2),
        }).expect(200);

        expect(response.body.call).toMatchObject({ providerCallId: 'first-id', conversationId: 'conv-1', endReason: 'first reason', duration: 10 });
        expect(await findCall(app, id)).toEqual(before);
      });

      it('recomputes the duration when the answerTime of an ended call arrives late', async () => {
        const user = testUser();
        const { id, startTime } = await callOf(user, { status: 'ringing' });
        const ended = await patch(user, id, { status: 'completed', endTime: after(startTime, 40) }).expect(200);

        const answered = await patch(user, id, { answerTime: after(startTime, 12.5) }).expect(200);

        expect(ended.body.call.duration).toBe(0);
        expect(answered.body.call).toMatchObject({ status: 'completed', answerTime: after(startTime, 12.5), duration: 27 });
      });

      it('answers an empty report with the call unchanged', async () => {
        const user = testUser();
        const { id } = await callOf(user);
        const before = await findCall(app, id);

        const response = await patch(user, id, {}).expect(200);

        expectContract('patch', CALL, response);
        expect(response.body.call.status).toBe('initiated');
        expect(await findCall(app, id)).toEqual(before);
      });
    });

    describe('times are checked against the call and the clock', () => {
      it.each<[string, Partial<CallSeed>, (start: Date) => object, string]>([
        ['answerTime before startTime', { status: 'in-progress' }, (start) => ({ answerTime: after(start, -0.001) }), "answerTime must not be before the call's startTime"],
        ['endTime before startTime', {}, (start) => ({ status: 'failed', endTime: after(start, -60) }), "endTime must not be before the call's startTime"],
        ['answerTime over a minute ahead of the clock', {}, () => ({ status: 'in-progress', answerTime: new Date(Date.now() + 90_000).toISOString() }), 'answerTime must not be more than 60 seconds in the future'],
        ['endTime over a minute ahead of the clock', {}, () => ({ status: 'completed', endTime: new Date(Date.now() + 3_600_000).toISOString() }), 'endTime must not be more than 60 seconds in the future'],
        ['endTime before answerTime', {}, (start) => ({ status: 'completed', answerTime: after(start, 10), endTime: after(start, 9) }), 'endTime must not be before answerTime'],
        ['endTime before the stored answerTime', { status: 'in-progress' }, (start) => ({ status: 'completed', endTime: after(start, -0) }), 'endTime must not be before answerTime'],
        ['an answerTime while the call only rings', { status: 'ringing' }, (start) => ({ answerTime: after(start, 1) }), 'answerTime can only be reported for a call that is in-progress, completed or failed'],
        ['an endTime for a call that goes on', { status: 'in-progress' }, (start) => ({ endTime: after(start, 50) }), 'endTime can only be reported for a call that has ended'],
        ['an endReason for a call that goes on', {}, () => ({ status: 'ringing', endReason: 'busy signal' }), 'endReason can only be reported for a call that has ended'],
      ])('%s is 422, and changes nothing', async (_label, seed, body, message) => {
        const user = testUser();
        const startTime = secondsAgo(60);
        const { id } = await callOf(user, { ...seed, ...(seed.status === 'in-progress' ? { answerTime: new Date(startTime.getTime() + 5000) } : {}), startTime });
        const before = await findCall(app, id);

        // Well-formed reports that the call's state or the clock rules out: found by the contract fuzzer,
        // whose schema-valid reports were refused as malformed (400).
        const response = await patch(user, id, body(startTime)).expect(422);

        expectContract('patch', CALL, response);
        expect(response.body).toEqual({ success: false, statusCode: 422, error: 'Unprocessable Entity', message: expect.stringContaining(message) });
        expect(await findCall(app, id)).toEqual(before);
      });

      it('accepts a time a little ahead of the server\'s clock', async () => {
        const user = testUser();
        const { id } = await callOf(user, { status: 'ringing' });
        const ahead = new Date(Date.now() + 20_000).toISOString();

        const response = await patch(user, id, { status: 'in-progress', answerTime: ahead }).expect(200);

        expect(response.body.call.answerTime).toBe(ahead);
      });
    });

    describe('only the reported fields, well-formed, are accepted', () => {
      it.each<[string, object, string]>([
        ['duration, which the server computes', { duration: 5 }, 'property duration should not exist'],
        ['startTime', { startTime: new Date().toISOString() }, 'property startTime should not exist'],
        ['organizationId', { organizationId: newId() }, 'property organizationId should not exist'],
        ['to', { to: '+14165550123' }, 'property to should not exist'],
        ['recordings', { recordings: [] }, 'property recordings should not exist'],
        ['an unknown status', { status: 'answered' }, 'status must be one of the following values'],
        ['a null status', { status: null }, 'status must be one of the following values'],
        ['a null providerCallId', { providerCallId: null }, 'providerCallId must be a string'],
        ['an empty providerCallId', { providerCallId: '' }, 'providerCallId must be longer than or equal to 1 characters'],
        ['a providerCallId with spaces', { providerCallId: 'a b' }, 'providerCallId must be printable ASCII without spaces'],
        ['an over-long providerCallId', { providerCallId: 'p'.repeat(129) }, 'providerCallId must be shorter than or equal to 128 characters'],
        ['an operator object', { providerCallId: { $ne: null } }, 'providerCallId must be a string'],
        ['an answerTime that is not a date-time', { answerTime: 'now' }, 'answerTime must be an ISO-8601 date-time'],
        ['an endTime without an offset', { endTime: '2026-11-27T10:00:00' }, 'endTime must be an ISO-8601 date-time'],
        ['an endTime as a number', { endTime: 1795751602100 }, 'endTime must be an ISO-8601 date-time'],
        ['an over-long endReason', { endReason: 'r'.repeat(101) }, 'endReason must be shorter than or equal to 100 characters'],
        ['a null conversationId', { conversationId: null }, 'conversationId must be a string'],
      ])('%s is 400, and changes nothing', async (_label, body, message) => {
        const user = testUser();
        const { id } = await callOf(user);
        const before = await findCall(app, id);

        const response = await patch(user, id, body).expect(400);

        expectContract('patch', CALL, response);
        expect(response.body).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
        expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining(message) })]));
        expect(await findCall(app, id)).toEqual(before);
      });

      it('a body that is not JSON is 415', async () => {
        const user = testUser();
        const { id } = await callOf(user);

        const response = await request(app.url).patch(`${CALLS}/${id}`).set('Authorization', user.bearer).set('Content-Type', 'text/plain').send('ringing').expect(415);

        expectContract('patch', CALL, response);
      });

      it('a body over the limit is 413', async () => {
        const user = testUser();
        const { id } = await callOf(user);

        const response = await patch(user, id, { status: 'ringing', padding: 'x'.repeat(200 * 1024) }).expect(413);

        expectContract('patch', CALL, response);
      });
    });

    describe('ids and tenants', () => {
      it('answers 404 for a call that does not exist', async () => {
        const response = await patch(testUser(), newId(), { status: 'ringing' }).expect(404);

        expectContract('patch', CALL, response);
        expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Call not found' });
      });

      it('answers 404 for another organization\'s call, and leaves it alone', async () => {
        const owner = testUser();
        const { id } = await callOf(owner);
        const before = await findCall(app, id);

        const response = await patch(testUser(), id, { status: 'completed', providerCallId: 'hijack' }).expect(404);

        expectContract('patch', CALL, response);
        expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Call not found' });
        expect(await findCall(app, id)).toEqual(before);
      });

      it('lets another user of the organization report on the call', async () => {
        const owner = testUser();
        const { id } = await callOf(owner);

        const response = await patch(testUser(owner.organizationId), id, { status: 'ringing' }).expect(200);

        expect(response.body.call).toMatchObject({ status: 'ringing', userId: owner.userId });
      });

      it('answers 400 for an id that is not 24-hex', async () => {
        const response = await patch(testUser(), 'not-a-call', { status: 'ringing' }).expect(400);

        expectContract('patch', CALL, response);
        expect(response.body.message).toBe('id must be a 24-character hexadecimal id');
      });

      it('requires a bearer token', async () => {
        const response = await patch(null, newId(), { status: 'ringing' }).expect(401);

        expectContract('patch', CALL, response);
        expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token' });
      });
    });

    describe('a providerCallId belongs to one call', () => {
      it('a second call of the same organization claiming it is 409, and learns nothing of the first', async () => {
        const owner = testUser();
        const first = await callOf(owner);
        await patch(owner, first.id, { status: 'ringing', providerCallId: 'shared-id' }).expect(200);
        const other = testUser(owner.organizationId);
        const second = await callOf(other);
        const before = await findCall(app, second.id);

        const response = await patch(other, second.id, { status: 'ringing', providerCallId: 'shared-id' }).expect(409);

        expectContract('patch', CALL, response);
        expect(response.body).toMatchObject({
          statusCode: 409,
          message: 'providerCallId shared-id is already recorded for another call',
          call: { _id: second.id, status: 'initiated', providerCallId: null },
        });
        expect(JSON.stringify(response.body)).not.toContain(first.id);
        expect(await findCall(app, second.id)).toEqual(before);
      });

      it('a call of another organization claiming it is answered as for a free id, and the first call keeps it', async () => {
        const owner = testUser();
        const first = await callOf(owner);
        await patch(owner, first.id, { status: 'ringing', providerCallId: 'shared-id' }).expect(200);
        const stranger = testUser();
        const second = await callOf(stranger);
        const control = await callOf(stranger);

        const taken = await patch(stranger, second.id, { status: 'ringing', providerCallId: 'shared-id' }).expect(200);
        const free = await patch(stranger, control.id, { status: 'ringing', providerCallId: 'free-id' }).expect(200);

        expectContract('patch', CALL, taken);
        const blank = (body: { call: Record<string, unknown> }) => ({ ...body, call: { ...body.call, _id: 0, callId: 0, providerCallId: 0, startTime: 0, createdAt: 0, updatedAt: 0 } });
        expect(blank(taken.body)).toEqual(blank(free.body));
        expect(taken.body.call.providerCallId).toBe('shared-id');
        expect(await app.db.collection<{ _id: string }>('provider_call_ids').findOne({ _id: 'sinch:shared-id' })).toMatchObject({ callId: new Types.ObjectId(first.id) });
        expect((await findCall(app, first.id))?.providerCallId).toBe('shared-id');
      });

      it('reported on two calls, it is refused on the second whether another organization holds it or not', async () => {
        const statusesFor = async (providerCallId: string) => {
          const user = testUser();
          const [first, second] = [await callOf(user), await callOf(user)];
          const firstAnswer = await patch(user, first.id, { status: 'ringing', providerCallId });
          const secondAnswer = await patch(user, second.id, { status: 'ringing', providerCallId });
          return { first: firstAnswer.status, second: secondAnswer.status, message: secondAnswer.body.message };
        };
        const holder = testUser();
        await patch(holder, (await callOf(holder)).id, { status: 'ringing', providerCallId: 'held-elsewhere' }).expect(200);

        expect(await statusesFor('never-seen')).toEqual({ first: 200, second: 409, message: 'providerCallId never-seen is already recorded for another call' });
        expect(await statusesFor('held-elsewhere')).toEqual({ first: 200, second: 409, message: 'providerCallId held-elsewhere is already recorded for another call' });
      });

      it('the call that holds it may report it again', async () => {
        const user = testUser();
        const { id } = await callOf(user);
        await patch(user, id, { providerCallId: 'mine' }).expect(200);

        const response = await patch(user, id, { status: 'ringing', providerCallId: 'mine' }).expect(200);

        expect(response.body.call).toMatchObject({ status: 'ringing', providerCallId: 'mine' });
        expect(await app.db.collection('provider_call_ids').find().toArray()).toEqual([
          { _id: 'sinch:mine', callId: new Types.ObjectId(id), organizationId: new Types.ObjectId(user.organizationId), source: 'report', createdAt: expect.any(Date) },
        ]);
      });

      it('when two calls claim it at once, exactly one gets it', async () => {
        const user = testUser();
        const calls = await Promise.all(Array.from({ length: 10 }, () => callOf(user)));

        const responses = await Promise.all(calls.map(({ id }) => patch(user, id, { providerCallId: 'contested' })));

        expect(responses.map((response) => response.status).sort()).toEqual([200, ...Array(9).fill(409)]);
        expect(await app.db.collection('calls').countDocuments({ providerCallId: 'contested' })).toBe(1);
      });

      it('a claim left by a writer that died is taken over once abandoned, but not while it is fresh', async () => {
        const user = testUser();
        const dead = await callOf(user);
        const { id } = await callOf(user);
        const claims = app.db.collection<{ _id: string; callId?: Types.ObjectId; organizationId?: Types.ObjectId; createdAt?: Date }>('provider_call_ids');
        await claims.insertOne({ _id: 'sinch:orphan', callId: new Types.ObjectId(dead.id), organizationId: new Types.ObjectId(user.organizationId), createdAt: new Date() });

        await patch(user, id, { providerCallId: 'orphan' }).expect(409);
        await claims.updateOne({ _id: 'sinch:orphan' }, { $set: { createdAt: secondsAgo(31) } });
        const response = await patch(user, id, { providerCallId: 'orphan' }).expect(200);

        expect(response.body.call.providerCallId).toBe('orphan');
        expect(await claims.findOne({ _id: 'sinch:orphan' })).toMatchObject({ callId: new Types.ObjectId(id) });
      });
    });

    describe('concurrent reports', () => {
      it('50 conflicting reports at once leave the call forward-consistent: never backwards, one end', async () => {
        const user = testUser();
        const { id, startTime } = await callOf(user, { startTime: secondsAgo(120) });
        const statuses = ['ringing', 'in-progress', 'initiated', ...TERMINALS];
        const bodies = Array.from({ length: 50 }, (_, i) => {
          const status = statuses[i % statuses.length];
          return {
            status,
            ...(['in-progress', 'completed', 'failed'].includes(status) ? { answerTime: after(startTime, 10 + (i % 7)) } : {}),
            ...(RANK[status] === 3 ? { endTime: after(startTime, 60 + i) } : {}),
            providerCallId: `p-${i % 3}`,
          };
        });

        const responses = await Promise.all(bodies.map((body) => patch(user, id, body)));

        const final = (await request(app.url).get(`${CALLS}/${id}`).set('Authorization', user.bearer).expect(200)).body.call;
        expect(responses.every((response) => response.status === 200 || response.status === 409)).toBe(true);
        const accepted = responses.filter((response) => response.status === 200).map((response) => response.body.call);
        const ends = new Set(accepted.map((call) => call.status).filter((status) => RANK[status] === 3));
        expect(RANK[final.status]).toBe(3);
        expect(ends).toEqual(new Set([final.status]));
        // Each accepted answer shows a state the call passed through on its way to the final one.
        for (const call of accepted) {
          expect(RANK[call.status]).toBeLessThanOrEqual(RANK[final.status]);
          if (call.providerCallId) expect(call.providerCallId).toBe(final.providerCallId);
          if (call.answerTime) expect(call.answerTime).toBe(final.answerTime);
          if (call.endTime) expect(call.endTime).toBe(final.endTime);
        }
        for (const response of responses.filter((answer) => answer.status === 409)) {
          expectContract('patch', CALL, response);
          expect(RANK[response.body.call.status]).toBeGreaterThanOrEqual(1);
        }
        const talk = final.answerTime ? Math.floor((Date.parse(final.endTime) - Date.parse(final.answerTime)) / 1000) : 0;
        expect(final.duration).toBe(talk);
        expect(await app.db.collection('call_locks').countDocuments()).toBe(0);
      });

      it('of 40 racing ends, exactly one terminal status wins and every accepted answer agrees', async () => {
        const user = testUser();
        const { id } = await callOf(user, { status: 'in-progress', answerTime: secondsAgo(30) });

        // The endings an answered call may have.
        const ends = ['completed', 'failed'];
        const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => patch(user, id, { status: ends[i % ends.length] })));

        const stored = await findCall(app, id);
        const accepted = responses.filter((response) => response.status === 200);
        const refused = responses.filter((response) => response.status === 409);
        expect(accepted.length + refused.length).toBe(40);
        expect(accepted.every((response) => response.body.call.status === stored?.status)).toBe(true);
        expect(accepted).toHaveLength(40 / ends.length);
        expect(refused.every((response) => response.body.call.status === stored?.status)).toBe(true);
      });

      it('a steady forward sequence sent all at once never ends further back than its furthest accepted step', async () => {
        const user = testUser();
        const calls = await Promise.all(Array.from({ length: 5 }, () => callOf(user)));
        const steps = ['ringing', 'in-progress', 'ringing', 'initiated', 'in-progress', 'ringing'];

        await Promise.all(calls.flatMap(({ id }) => steps.map((status) => patch(user, id, status === 'in-progress' ? { status, answerTime: new Date().toISOString() } : { status }))));

        for (const { id } of calls) expect((await findCall(app, id))?.status).toBe('in-progress');
      });
    });

    describe('the per-call lock', () => {
      it('waits for a lock another request holds, then applies the report', async () => {
        const user = testUser();
        const { id } = await callOf(user);
        await app.db.collection('call_locks').insertOne({ _id: new Types.ObjectId(id), token: 'someone-else', expiresAt: new Date(Date.now() + 60_000) });
        const started = Date.now();

        const pending = patch(user, id, { status: 'ringing' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const whileHeld = await findCall(app, id);
        await app.db.collection('call_locks').deleteOne({ _id: new Types.ObjectId(id) });
        const response = await pending.expect(200);

        expect(whileHeld?.status).toBe('initiated');
        expect(Date.now() - started).toBeGreaterThanOrEqual(300);
        expect(response.body.call.status).toBe('ringing');
      });

      it('takes over a lock whose holder died (its lease ran out)', async () => {
        const user = testUser();
        const { id } = await callOf(user);
        await app.db.collection('call_locks').insertOne({ _id: new Types.ObjectId(id), token: 'dead', expiresAt: secondsAgo(1) });

        const response = await patch(user, id, { status: 'ringing' }).expect(200);

        expect(response.body.call.status).toBe('ringing');
        await relayed(app);
        expect(await app.db.collection('call_locks').countDocuments()).toBe(0);
      });
    });
  });
});

describe(`PATCH ${CALL}: what a crash leaves behind`, () => {
  // An app of its own: the purges run on the first lock and claim a process takes, then at most every 10 minutes.
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('purges call locks and provider call id claims that crashed writers left, and keeps every live one', async () => {
    const user = testUser();
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
    const locks = app.db.collection<{ _id: Types.ObjectId; token: string; expiresAt: Date }>('call_locks');
    const claims = app.db.collection<{ _id: string; callId: Types.ObjectId; organizationId: Types.ObjectId; createdAt: Date }>('provider_call_ids');
    const organizationId = new Types.ObjectId(user.organizationId);
    const holder = await insertCall(app, { organizationId: user.organizationId, userId: user.userId, providerCallId: 'held' });
    const orphanOf = await insertCall(app, { organizationId: user.organizationId, userId: user.userId });
    const live = new Types.ObjectId();
    await locks.insertMany([
      { _id: new Types.ObjectId(), token: 'crashed', expiresAt: ago(120) },
      { _id: live, token: 'holding', expiresAt: new Date(Date.now() + 60_000) },
    ]);
    await claims.insertMany([
      { _id: 'sinch:held', callId: new Types.ObjectId(holder), organizationId, createdAt: ago(300) },
      { _id: 'sinch:orphaned', callId: new Types.ObjectId(orphanOf), organizationId, createdAt: ago(300) },
      { _id: 'sinch:in-flight', callId: new Types.ObjectId(orphanOf), organizationId, createdAt: ago(1) },
    ]);
    const id = await insertCall(app, { organizationId: user.organizationId, userId: user.userId });

    await request(app.url).patch(`${CALLS}/${id}`).set('Authorization', user.bearer).send({ status: 'ringing', providerCallId: 'fresh' }).expect(200);

    const settled = async () => {
      for (let i = 0; i < 50; i++) {
        if ((await locks.countDocuments()) === 1 && !(await claims.findOne({ _id: 'sinch:orphaned' }))) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await settled();
    await relayed(app);
    expect(await locks.find().toArray()).toEqual([expect.objectContaining({ _id: live, token: 'holding' })]);
    expect((await claims.find().toArray()).map((claim) => claim._id).sort()).toEqual(['sinch:fresh', 'sinch:held', 'sinch:in-flight']);
  });
});
