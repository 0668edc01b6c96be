import { createHmac } from 'node:crypto';
import { decode, verify } from 'jsonwebtoken';
import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp, TEST_CALLER_ID, TEST_SINCH } from './support/app';
import { TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { loggedLines } from './support/logs';
import { relayed } from './support/factories';
import { ace, after, dice, ice, notify, PlacedCall, sdkUser, sendCallback, SINCH_WEBHOOK, WEBHOOK_OPERATION } from './support/sinch';

const INITIATE = '/api/calls/sdk/initiate';
const SINCH_CALL = '822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257';

describe(`POST ${SINCH_WEBHOOK} and POST /api/calls/sdk/token`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  /** A call the dialer recorded, as initiate answers it. */
  const recordCall = async (phoneNumber = '+14165550199', user: TestUser = testUser()) => {
    const response = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber }).expect(201);
    return response.body.call as PlacedCall & { to: string; from: string; startTime: string };
  };
  // Once the relay has moved the call's events to the feed: its outbox is not what these tests look at.
  const storedCall = async (id: string) => {
    await relayed(app);
    return app.db.collection('calls').findOne({ _id: new Types.ObjectId(id) });
  };
  const events = () => app.db.collection<{ _id: string }>('call_events').find().sort({ _id: 1 }).toArray();
  const accept = async (body: object) => {
    const response = await sendCallback(app, body).expect(200);
    expectContract('post', WEBHOOK_OPERATION, response);
    return response.body;
  };

  describe(`POST ${SINCH_WEBHOOK}`, () => {
    it('follows a call from ICE to ACE to DiCE', async () => {
      const call = await recordCall();

      expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'connectPstn', number: '+14165550199', cli: TEST_CALLER_ID } });
      expect(await storedCall(call._id)).toMatchObject({ providerCallId: SINCH_CALL, status: 'initiated' });

      expect(await accept(ace(SINCH_CALL, after(call.startTime, 1)))).toEqual({ action: { name: 'continue' } });
      expect(await storedCall(call._id)).toMatchObject({ status: 'in-progress', answerTime: new Date(after(call.startTime, 1)) });

      expect(await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 3), duration: 2 }))).toEqual({});
      expect(await storedCall(call._id)).toMatchObject({
        status: 'completed',
        answerTime: new Date(after(call.startTime, 1)),
        endTime: new Date(after(call.startTime, 3)),
        duration: 2,
        endReason: 'CALLEEHANGUP',
        cost: { amount: 0.0125, currency: 'USD' },
      });
      expect((await events()).map((event) => event._id)).toEqual([`sinch:${SINCH_CALL}:ace`, `sinch:${SINCH_CALL}:dice`, `sinch:${SINCH_CALL}:ice`]);
    });

    it('ends a call Sinch answered as completed, with its talk time, even when the DiCE says nobody answered', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));
      await accept(ace(SINCH_CALL, after(call.startTime, 1)));

      await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 4), result: 'NOANSWER', reason: 'CALLERHANGUP', duration: 3 }));

      expect(await storedCall(call._id)).toMatchObject({ status: 'completed', answerTime: new Date(after(call.startTime, 1)), duration: 3 });
    });

    it('ends a call that failed after talk time as failed, keeping its talk time', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 40), result: 'FAILED', reason: 'GENERALERROR', duration: 30 }));

      expect(await storedCall(call._id)).toMatchObject({ status: 'failed', answerTime: new Date(after(call.startTime, 10)), duration: 30 });
    });

    it('ends a call nobody answered without an answer time or talk time', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 4), result: 'BUSY', reason: 'CALLEEHANGUP', duration: 0 }));

      expect(await storedCall(call._id)).toMatchObject({ status: 'busy', answerTime: null, endTime: new Date(after(call.startTime, 4)), duration: 0 });
    });

    it('connects to the recorded number, not the one the SDK dialled, with the organization\'s caller ID', async () => {
      const call = await recordCall('+442071838750');

      expect(await accept({ ...ice(SINCH_CALL, call), to: { type: 'number', endpoint: '+19005550100' } })).toEqual({
        action: { name: 'connectPstn', number: '+442071838750', cli: call.from },
      });
    });

    it('hangs up an ICE for a call it never recorded, and keeps the event', async () => {
      expect(await accept(ice(SINCH_CALL))).toEqual({ action: { name: 'hangup' } });
      const nobody = testUser();
      const unknown = { _id: new Types.ObjectId().toHexString(), callToken: 'x'.repeat(32), organizationId: nobody.organizationId, userId: nobody.userId };
      expect(await accept(ice('other_call', unknown))).toEqual({ action: { name: 'hangup' } });
      expect(await events()).toHaveLength(2);
    });

    it('hangs up an ICE for a call that already ended', async () => {
      const call = await recordCall();
      await accept(dice(SINCH_CALL, { callHeaders: [{ key: 'x-call-id', value: call._id }], result: 'NOANSWER', reason: 'CANCEL', duration: 0 }));

      expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'hangup' } });
      expect(await storedCall(call._id)).toMatchObject({ status: 'canceled' });
    });

    it('leaves a call the dialer already ended without the Sinch call id of a late ICE', async () => {
      const user = testUser();
      const call = await recordCall('+14165550199', user);
      await request(app.url).patch(`/api/calls/${call._id}`).set('Authorization', user.bearer).send({ status: 'canceled' }).expect(200);

      expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'hangup' } });
      expect(await storedCall(call._id)).toMatchObject({ status: 'canceled', providerCallId: null });
      expect(await app.db.collection('provider_call_ids').countDocuments()).toBe(0);
    });

    it('answers Sinch signed with a charset in the content type', async () => {
      const call = await recordCall();

      const response = await sendCallback(app, ice(SINCH_CALL, call), { contentType: 'application/json; charset=utf-8' }).expect(200);

      expect(response.body.action.name).toBe('connectPstn');
    });

    it('checks the signature over the bytes as sent, not over re-serialised JSON', async () => {
      const call = await recordCall();
      const headers = `[ { "key": "x-call-id", "value": "${call._id}" }, { "key": "x-call-token", "value": "${call.callToken}" } ]`;
      const raw = `{ "event" : "ice",\n  "callid" : "${SINCH_CALL}", "user": "${sdkUser(call.organizationId, call.userId)}", "callHeaders": ${headers}, "note": "caf\\u00e9" }`;

      const response = await sendCallback(app, raw).expect(200);

      expect(response.body.action.name).toBe('connectPstn');
    });

    describe('binds a Sinch call only to the call its own caller recorded', () => {
      const claims = () => app.db.collection('provider_call_ids').find().toArray();
      const hungUpLines = (callid: string) =>
        loggedLines(app, (line) => typeof line.msg === 'string' && line.msg.startsWith(`sinch call ${callid} hung up:`));

      it('hangs up another organization\'s user placing a call with the victim\'s call headers, and the victim\'s call goes on', async () => {
        const victim = testUser();
        const call = await recordCall('+14165550199', victim);
        const attacker = testUser();
        const before = await storedCall(call._id);

        // Even with the victim's own token in the headers: the Sinch user placing the call is not the call's user.
        const forged = { ...ice('forged_call', call), user: sdkUser(attacker.organizationId, attacker.userId) };
        const answer = await sendCallback(app, forged).expect(200);
        expect(answer.body).toEqual({ action: { name: 'hangup' } });

        expect(await storedCall(call._id)).toEqual(before);
        expect(await claims()).toEqual([]);
        // The line names the callback's request, whose id the service hands down to where the call is refused.
        expect(await hungUpLines('forged_call')).toEqual([
          expect.objectContaining({ level: 'warn', requestId: answer.headers['x-request-id'], msg: expect.stringContaining(`not by the user of call ${call._id}`) }),
        ]);
        // The victim's own call is then connected and bound, and its report of its Sinch id is taken.
        expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'connectPstn', number: call.to, cli: call.from } });
        expect(await storedCall(call._id)).toMatchObject({ providerCallId: SINCH_CALL });
        await request(app.url).patch(`/api/calls/${call._id}`).set('Authorization', victim.bearer).send({ status: 'ringing', providerCallId: SINCH_CALL }).expect(200);
      });

      it('hangs up the call\'s own user when the call token is missing or wrong (the call id alone is guessable)', async () => {
        const call = await recordCall();
        const before = await storedCall(call._id);
        const withToken = (token: string | null) => ({
          ...ice('guessing_call', call),
          callHeaders: [{ key: 'x-call-id', value: call._id }, ...(token === null ? [] : [{ key: 'x-call-token', value: token }])],
        });

        expect(await accept(withToken(null))).toEqual({ action: { name: 'hangup' } });
        expect(await accept(withToken(`${call.callToken!.slice(0, -1)}${call.callToken!.endsWith('A') ? 'B' : 'A'}`))).toEqual({ action: { name: 'hangup' } });

        expect(await storedCall(call._id)).toEqual(before);
        expect(await claims()).toEqual([]);
        expect(await hungUpLines('guessing_call')).toEqual([
          expect.objectContaining({ msg: expect.stringContaining(`its call token is not the one of call ${call._id}`) }),
          expect.objectContaining({ msg: expect.stringContaining(`its call token is not the one of call ${call._id}`) }),
        ]);
      });

      it('hangs up another user of the same organization, and an ICE that names no caller', async () => {
        const owner = testUser();
        const call = await recordCall('+14165550199', owner);
        const colleague = testUser(owner.organizationId);

        expect(await accept({ ...ice('colleague_call', call), user: sdkUser(colleague.organizationId, colleague.userId) })).toEqual({ action: { name: 'hangup' } });
        const { user: _user, ...anonymous } = ice('anonymous_call', call);
        expect(await accept(anonymous)).toEqual({ action: { name: 'hangup' } });

        expect(await storedCall(call._id)).toMatchObject({ providerCallId: null, status: 'initiated' });
      });

      it('reads the caller from the SDK token the service issued', async () => {
        const user = testUser();
        const token = await request(app.url).post('/api/calls/sdk/token').set('Authorization', user.bearer).expect(200);
        const call = await recordCall('+14165550199', user);

        expect(token.body.userId).toBe(`${user.organizationId}-${user.userId}`);
        expect(await accept({ ...ice(SINCH_CALL, call), user: token.body.userId })).toEqual({ action: { name: 'connectPstn', number: call.to, cli: call.from } });
      });

      it('gives every call its own unguessable token', async () => {
        const user = testUser();
        const calls = await Promise.all(Array.from({ length: 5 }, () => recordCall('+14165550199', user)));

        const tokens = calls.map((call) => call.callToken);
        expect(new Set(tokens).size).toBe(5);
        for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(await storedCall(calls[0]._id)).toMatchObject({ callToken: tokens[0] });
      });

      it('never lets the call headers of an ACE or DiCE reach a call: only the call\'s own ICE binds it', async () => {
        const victim = testUser();
        const call = await recordCall('+14165550199', victim);
        const headers = ice('x', call).callHeaders;

        await accept({ ...ace('attacker_call', after(call.startTime, 1)), callHeaders: headers });
        await accept(dice('attacker_call', { callHeaders: headers, result: 'FAILED', reason: 'CALLERHANGUP', duration: 0 }));

        expect(await storedCall(call._id)).toMatchObject({ status: 'initiated', providerCallId: null });
        expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'connectPstn', number: call.to, cli: call.from } });
        expect(await storedCall(call._id)).toMatchObject({ status: 'initiated', providerCallId: SINCH_CALL });
      });
    });

    describe('a Sinch call id bound by its ICE is neither revealed nor taken by another organization\'s report', () => {
      const report = (user: TestUser, id: string, providerCallId: string) =>
        request(app.url).patch(`/api/calls/${id}`).set('Authorization', user.bearer).send({ status: 'ringing', providerCallId });

      it('answers a report of a bound id as one of a free id, and keeps the events with the bound call', async () => {
        const victim = testUser();
        const call = await recordCall('+14165550199', victim);
        await accept(ice(SINCH_CALL, call));
        const attacker = testUser();
        const own = await recordCall('+14165550199', attacker);
        const control = await recordCall('+14165550199', attacker);

        const taken = await report(attacker, own._id, SINCH_CALL).expect(200);
        const free = await report(attacker, control._id, 'never_seen_call').expect(200);

        expectContract('patch', '/api/calls/{id}', taken);
        const shape = (body: { call: Record<string, unknown> }) => ({ ...body, call: { ...body.call, _id: 0, callId: 0, callToken: 0, providerCallId: 0, startTime: 0, createdAt: 0, updatedAt: 0 } });
        expect(shape(taken.body)).toEqual(shape(free.body));
        expect(taken.body.call.providerCallId).toBe(SINCH_CALL);

        await accept(ace(SINCH_CALL, after(call.startTime, 1)));
        expect(await storedCall(call._id)).toMatchObject({ status: 'in-progress', providerCallId: SINCH_CALL });
        expect(await storedCall(own._id)).toMatchObject({ status: 'ringing', answerTime: null });
        expect(await app.db.collection<{ _id: string }>('provider_call_ids').findOne({ _id: `sinch:${SINCH_CALL}` })).toMatchObject({ callId: new Types.ObjectId(call._id) });
      });

      it('lets the ICE bind a call id another organization reported first', async () => {
        const attacker = testUser();
        const own = await recordCall('+14165550199', attacker);
        await report(attacker, own._id, SINCH_CALL).expect(200);
        const victim = testUser();
        const call = await recordCall('+14165550199', victim);

        expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'connectPstn', number: call.to, cli: call.from } });

        await accept(ace(SINCH_CALL, after(call.startTime, 1)));
        expect(await storedCall(call._id)).toMatchObject({ status: 'in-progress', providerCallId: SINCH_CALL });
        expect(await storedCall(own._id)).toMatchObject({ status: 'ringing', answerTime: null });
      });

      it('answers 409 when another call of the same organization holds it', async () => {
        const user = testUser();
        const call = await recordCall('+14165550199', user);
        await accept(ice(SINCH_CALL, call));
        const second = await recordCall('+14165550199', user);

        const response = await report(user, second._id, SINCH_CALL).expect(409);

        expectContract('patch', '/api/calls/{id}', response);
        expect(response.body).toMatchObject({ message: `providerCallId ${SINCH_CALL} is already recorded for another call`, call: { _id: second._id, providerCallId: null } });
      });
    });

    it('answers 503 with Retry-After when the call stays locked by other requests, and takes the retry', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));
      // The relay takes the call's lock to settle its outbox; the test's lock goes in once it has let go.
      await relayed(app);
      const locks = app.db.collection<{ _id: Types.ObjectId; token: string; expiresAt: Date }>('call_locks');
      await locks.insertOne({ _id: new Types.ObjectId(call._id), token: 'someone-else', expiresAt: new Date(Date.now() + 60_000) });

      const busy = await sendCallback(app, ace(SINCH_CALL, after(call.startTime, 1))).expect(503);

      expectContract('post', WEBHOOK_OPERATION, busy);
      expect(busy.headers['retry-after']).toBe('1');
      expect(busy.body).toEqual({ success: false, statusCode: 503, error: 'Service Unavailable', message: 'The call is being updated by other requests; retry shortly' });
      // Read as it is: the relay, too, waits for the lock this test holds.
      expect(await app.db.collection('calls').findOne({ _id: new Types.ObjectId(call._id) })).toMatchObject({ status: 'initiated' });

      await locks.deleteOne({ _id: new Types.ObjectId(call._id) });
      expect(await accept(ace(SINCH_CALL, after(call.startTime, 1)))).toEqual({ action: { name: 'continue' } });
      expect(await storedCall(call._id)).toMatchObject({ status: 'in-progress', answerTime: new Date(after(call.startTime, 1)) });
    });

    describe('refuses with 401, and changes nothing,', () => {
      const stale = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
      const cases: [string, (call: string) => request.Test, string][] = [
        ['a request without a signature', (call) => request(app.url).post(SINCH_WEBHOOK).send(ace(SINCH_CALL, undefined, call)), 'Missing Sinch signature'],
        [
          'a bearer token instead of a signature',
          (call) => request(app.url).post(SINCH_WEBHOOK).set('Authorization', testUser().bearer).send(ace(SINCH_CALL, undefined, call)),
          'The Authorization header is not a Sinch signature',
        ],
        [
          'another application\'s key',
          (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { credentials: { ...TEST_SINCH, applicationKey: '00000000-0000-0000-0000-000000000000' } }),
          'The request is signed for another Sinch application',
        ],
        [
          'a signature made with another secret',
          (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { credentials: { ...TEST_SINCH, applicationSecret: 'AAAAAAAAAAAAAAAAAAAAAA==' } }),
          'Invalid Sinch signature',
        ],
        [
          'a body changed after signing',
          (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { signedBody: JSON.stringify(ace(SINCH_CALL, '2026-11-27T10:09:00.000Z', call)) }),
          'Invalid Sinch signature',
        ],
        ['a signature for another path', (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { signedPath: '/api/other' }), 'Invalid Sinch signature'],
        ['an x-timestamp 6 minutes old', (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { timestamp: stale(-6) }), 'more than 5 minutes from now'],
        ['an x-timestamp 6 minutes ahead', (call) => sendCallback(app, ace(SINCH_CALL, undefined, call), { timestamp: stale(6) }), 'more than 5 minutes from now'],
        [
          'a request without x-timestamp',
          (call) => sendCallback(app, ace(SINCH_CALL, undefined, call)).unset('x-timestamp'),
          'Missing x-timestamp header',
        ],
      ];

      it.each(cases)('%s', async (_label, send, message) => {
        const call = await recordCall();
        await accept(ice(SINCH_CALL, call));
        const before = await storedCall(call._id);

        const response = await send(call._id).expect(401);

        expectContract('post', WEBHOOK_OPERATION, response);
        expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: expect.stringContaining(message) });
        expect(await storedCall(call._id)).toEqual(before);
        expect(await events()).toHaveLength(1);
      });
    });

    it('answers a repeated event as before and changes nothing', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));
      await accept(ace(SINCH_CALL, after(call.startTime, 1)));
      const afterFirst = await storedCall(call._id);

      expect(await accept(ice(SINCH_CALL, call))).toEqual({ action: { name: 'connectPstn', number: call.to, cli: call.from } });
      expect(await accept(ace(SINCH_CALL, after(call.startTime, 2)))).toEqual({ action: { name: 'continue' } });

      expect(await storedCall(call._id)).toEqual(afterFirst);
      expect(await events()).toHaveLength(2);
    });

    it('ends in the right state when the DiCE comes before the ACE, and the late ACE undoes nothing', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 3), duration: 2 }));
      const ended = await storedCall(call._id);
      expect(ended).toMatchObject({ status: 'completed', endTime: new Date(after(call.startTime, 3)), answerTime: new Date(after(call.startTime, 1)) });

      expect(await accept(ace(SINCH_CALL, after(call.startTime, 2)))).toEqual({ action: { name: 'continue' } });
      expect(await storedCall(call._id)).toEqual(ended);
    });

    it('keeps events for a call it does not know yet and applies them, in order, once the ICE ties the call', async () => {
      const call = await recordCall();

      expect(await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 3), duration: 1 }))).toEqual({});
      expect(await accept(ace(SINCH_CALL, after(call.startTime, 1)))).toEqual({ action: { name: 'continue' } });
      expect(await storedCall(call._id)).toMatchObject({ status: 'initiated', providerCallId: null });

      await accept(ice(SINCH_CALL, call));

      expect(await storedCall(call._id)).toMatchObject({
        providerCallId: SINCH_CALL,
        status: 'completed',
        // The ACE's own time, not the one the DiCE implies (3 s - 1 s): pending events apply the ACE first.
        answerTime: new Date(after(call.startTime, 1)),
        endTime: new Date(after(call.startTime, 3)),
      });
      const stored = await app.db.collection('call_events').find().toArray();
      expect(stored.every((event) => event.appliedTo?.equals(new Types.ObjectId(call._id)))).toBe(true);
    });

    it('applies events that came before the call was known when the dialer reports the providerCallId', async () => {
      const user = testUser();
      const call = await recordCall('+14165550199', user);
      await accept(ace(SINCH_CALL, after(call.startTime, 1)));
      await accept(dice(SINCH_CALL, { timestamp: after(call.startTime, 3), duration: 2 }));
      expect(await storedCall(call._id)).toMatchObject({ status: 'initiated', providerCallId: null });

      const response = await request(app.url)
        .patch(`/api/calls/${call._id}`)
        .set('Authorization', user.bearer)
        .send({ status: 'ringing', providerCallId: SINCH_CALL })
        .expect(200);

      expectContract('patch', '/api/calls/{id}', response);
      expect(response.body.call).toMatchObject({
        providerCallId: SINCH_CALL,
        status: 'completed',
        answerTime: after(call.startTime, 1),
        endTime: after(call.startTime, 3),
        duration: 2,
        endReason: 'CALLEEHANGUP',
        cost: { amount: 0.0125, currency: 'USD' },
      });
      const read = await request(app.url).get(`/api/calls/${call._id}`).set('Authorization', user.bearer).expect(200);
      expectContract('get', '/api/calls/{id}', read);
      expect(read.body.call).toEqual(response.body.call);
    });

    it('reaches the same end whatever order the ACE, the DiCE and the dialer\'s reports race in', async () => {
      for (let round = 0; round < 3; round++) {
        const user = testUser();
        const call = await recordCall('+14165550199', user);
        const callid = `race_${round}`;
        await accept(ice(callid, call));
        const report = (body: object) => request(app.url).patch(`/api/calls/${call._id}`).set('Authorization', user.bearer).send(body);

        const answers = await Promise.all([
          sendCallback(app, dice(callid, { timestamp: after(call.startTime, 3), duration: 2 })),
          sendCallback(app, ace(callid, after(call.startTime, 1))),
          report({ status: 'ringing' }),
          report({ status: 'in-progress', answerTime: after(call.startTime, 1) }),
        ]);

        expect(answers.slice(0, 2).map((answer) => answer.status)).toEqual([200, 200]);
        // A report that arrives after the call ended is a conflict for the dialer, never a change.
        for (const answer of answers.slice(2)) expect([200, 409]).toContain(answer.status);
        expect(await storedCall(call._id)).toMatchObject({
          status: 'completed',
          answerTime: new Date(after(call.startTime, 1)),
          endTime: new Date(after(call.startTime, 3)),
          duration: 2,
        });
      }
    });

    // Found by the contract fuzzer: the payload was stored as a document, and a callback whose JSON is
    // no valid document (arrays in arrays on FerretDB, a NUL in a key on any server) answered 500.
    it('keeps any JSON payload, even one that could not be a document', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));
      const odd = { ...dice(SINCH_CALL), callHeaders: [[null, null]], 'a\u0000key': { '$where': [[[1]]] } };

      await accept(odd);

      expect(await storedCall(call._id)).toMatchObject({ status: 'completed' });
      const stored = await app.db.collection('call_events').findOne({ _id: `sinch:${SINCH_CALL}:dice` as never });
      expect(JSON.parse(stored?.payload)).toEqual(odd);
    });

    // Found by a property test of the planner: the dialer's "completed" (no times) ended the call now;
    // a DiCE then answering a moment later was refused whole, its answer time lost.
    it('fills the answer time from a DiCE after the dialer ended the call, at most at the recorded end', async () => {
      const user = testUser();
      const call = await recordCall('+14165550199', user);
      await request(app.url).patch(`/api/calls/${call._id}`).set('Authorization', user.bearer).send({ status: 'completed', providerCallId: SINCH_CALL }).expect(200);
      const ended = await storedCall(call._id);

      await accept(dice(SINCH_CALL, { timestamp: after(ended!.endTime.toISOString(), 30), duration: 2 }));

      expect(await storedCall(call._id)).toMatchObject({ status: 'completed', answerTime: ended!.endTime, endTime: ended!.endTime, duration: 0 });
      const [event] = await app.db.collection('call_events').find({ providerCallId: SINCH_CALL }).toArray();
      expect(event.appliedAt).toEqual(expect.any(Date));
    });

    it('stores an unknown result and reason rather than refusing them', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(dice(SINCH_CALL, { result: 'SOMETHINGNEW', reason: 'BRANDNEWREASON', duration: 0, debit: undefined }));

      expect(await storedCall(call._id)).toMatchObject({ status: 'failed', endReason: 'BRANDNEWREASON', duration: 0, cost: null, answerTime: null });
      const stored = await app.db.collection('call_events').findOne({ _id: `sinch:${SINCH_CALL}:dice` as never });
      expect(JSON.parse(stored?.payload)).toMatchObject({ result: 'SOMETHINGNEW' });
    });

    it.each([
      ['BUSY', 'CALLEEHANGUP', 'busy'],
      ['NOANSWER', 'TIMEOUT', 'no-answer'],
      ['FAILED', 'GENERALERROR', 'failed'],
      ['NOANSWER', 'CANCEL', 'canceled'],
      ['NOANSWER', 'CALLERHANGUP', 'canceled'],
    ])('ends a %s / %s call as %s, with no answer time', async (result, reason, status) => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(dice(SINCH_CALL, { result, reason, duration: 0 }));

      expect(await storedCall(call._id)).toMatchObject({ status, endReason: reason, answerTime: null });
    });

    it('appends each recording once', async () => {
      const call = await recordCall();
      await accept(ice(SINCH_CALL, call));

      await accept(notify(SINCH_CALL, 'recording_finished', 'https://recordings.example.com/a.mp3'));
      await accept(notify(SINCH_CALL, 'recording_available', 'https://recordings.example.com/a.mp3'));
      await accept(notify(SINCH_CALL, 'recording_available', 'https://recordings.example.com/a.mp3'));

      const stored = await storedCall(call._id);
      expect(stored?.recordings).toEqual([
        { url: 'https://recordings.example.com/a.mp3', type: 'recording_finished', createdAt: expect.any(Date) },
        { url: 'https://recordings.example.com/a.mp3', type: 'recording_available', createdAt: expect.any(Date) },
      ]);
    });

    it('acknowledges other events and keeps nothing of them', async () => {
      expect(await accept({ event: 'pie', callid: SINCH_CALL, menuResult: { type: 'return', value: '1' } })).toEqual({});
      expect(await accept(notify(SINCH_CALL, 'amd', 'x'))).toEqual({});
      expect(await events()).toEqual([]);
    });

    it('answers 400 for a signed body that is not a Sinch event', async () => {
      const response = await sendCallback(app, { event: 'dice' }).expect(400);

      expectContract('post', WEBHOOK_OPERATION, response);
      expect(response.body).toEqual({ success: false, statusCode: 400, error: 'Bad Request', message: 'callid is required' });
    });

    it('answers 404 for a provider it does not know', async () => {
      const response = await sendCallback(app, ace(SINCH_CALL), {}, '/api/calls/webhooks/twilio').expect(404);

      expectContract('post', WEBHOOK_OPERATION, response);
    });
  });

  describe('POST /api/calls/sdk/token', () => {
    it('answers a Sinch registration token for the caller, signed with today\'s derived key', async () => {
      const user = testUser();

      const response = await request(app.url).post('/api/calls/sdk/token').set('Authorization', user.bearer).expect(200);

      expectContract('post', '/api/calls/sdk/token', response);
      expect(response.body).toEqual({ success: true, token: expect.any(String), expiresAt: expect.any(String), applicationKey: TEST_SINCH.applicationKey, userId: `${user.organizationId}-${user.userId}` });
      const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
      expect(decode(response.body.token, { complete: true })?.header).toEqual({ alg: 'HS256', kid: `hkdfv1-${today}` });
      const signingKey = createHmac('sha256', Buffer.from(TEST_SINCH.applicationSecret, 'base64')).update(today).digest();
      const claims = verify(response.body.token, signingKey, { algorithms: ['HS256'] }) as Record<string, unknown>;
      expect(claims).toMatchObject({
        iss: `//rtc.sinch.com/applications/${TEST_SINCH.applicationKey}`,
        sub: `//rtc.sinch.com/applications/${TEST_SINCH.applicationKey}/users/${user.organizationId}-${user.userId}`,
        nonce: expect.any(String),
      });
      expect((claims.exp as number) - (claims.iat as number)).toBe(600);
      expect(Date.parse(response.body.expiresAt)).toBe((claims.exp as number) * 1000);
    });

    it('requires a bearer token', async () => {
      const response = await request(app.url).post('/api/calls/sdk/token').expect(401);

      expectContract('post', '/api/calls/sdk/token', response);
    });
  });
});
