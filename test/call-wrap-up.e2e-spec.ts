import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp } from './support/app';
import { adminUser, newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { insertCall, insertContact, relayed } from './support/factories';

const OUTCOMES = '/api/call-outcomes';
const OUTCOME = '/api/call-outcomes/{id}';
const CALLS = '/api/calls';
const CALL = '/api/calls/{id}';
const DIALER = 'https://dialer.example.com';

describe('After the call: outcomes, notes and tags', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ CORS_ORIGINS: DIALER });
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const createOutcome = (user: TestUser, body: object) => request(app.url).post(OUTCOMES).set('Authorization', user.bearer).send(body);
  const updateOutcome = (user: TestUser, id: string, body: object) => request(app.url).patch(`${OUTCOMES}/${id}`).set('Authorization', user.bearer).send(body);
  const deleteOutcome = (user: TestUser, id: string) => request(app.url).delete(`${OUTCOMES}/${id}`).set('Authorization', user.bearer);
  const patchCall = (user: TestUser, id: string, body: object, ifMatch?: string) => {
    const req = request(app.url).patch(`${CALLS}/${id}`).set('Authorization', user.bearer);
    return (ifMatch === undefined ? req : req.set('If-Match', ifMatch)).send(body);
  };
  const getCall = (user: TestUser, id: string) => request(app.url).get(`${CALLS}/${id}`).set('Authorization', user.bearer);
  const listCalls = (user: TestUser, query: Record<string, string | string[]>) =>
    request(app.url).get(CALLS).set('Authorization', user.bearer).query(query);
  const outcomeOf = async (admin: TestUser, body: object): Promise<string> => (await createOutcome(admin, body).expect(201)).body.outcome._id;

  describe(`POST ${OUTCOMES}`, () => {
    it('defines an outcome for an admin, trimmed, and every user of the organization reads it', async () => {
      const admin = adminUser();
      const agent = testUser(admin.organizationId);

      const response = await createOutcome(admin, { name: '  Meeting booked ', description: ' Demo agreed ', positive: true }).expect(201);

      expectContract('post', OUTCOMES, response);
      expect(response.body).toEqual({
        success: true,
        outcome: {
          _id: expect.stringMatching(/^[0-9a-f]{24}$/),
          organizationId: admin.organizationId,
          name: 'Meeting booked',
          description: 'Demo agreed',
          positive: true,
          archived: false,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
      const listed = await request(app.url).get(OUTCOMES).set('Authorization', agent.bearer).expect(200);
      expectContract('get', OUTCOMES, listed);
      expect(listed.body).toEqual({ success: true, outcomes: [response.body.outcome], nextCursor: null });
      const one = await request(app.url).get(`${OUTCOMES}/${response.body.outcome._id}`).set('Authorization', agent.bearer).expect(200);
      expectContract('get', OUTCOME, one);
      expect(one.body.outcome).toEqual(response.body.outcome);
    });

    it('is for admins only, and requires a token', async () => {
      const refused = await createOutcome(testUser(), { name: 'Voicemail' }).expect(403);
      expectContract('post', OUTCOMES, refused);
      await request(app.url).post(OUTCOMES).send({ name: 'Voicemail' }).expect(401);
      await request(app.url).get(OUTCOMES).expect(401);
    });

    it('refuses a name the organization already has in any case (409), but another organization may have it', async () => {
      const admin = adminUser();
      await createOutcome(admin, { name: 'Left voicemail' }).expect(201);

      const duplicate = await createOutcome(admin, { name: ' LEFT VOICEMAIL ' }).expect(409);

      expectContract('post', OUTCOMES, duplicate);
      expect(duplicate.body.message).toBe('The organization already has an outcome with this name');
      await createOutcome(adminUser(), { name: 'left voicemail' }).expect(201);
    });

    it('refuses a blank or too long name and unknown fields', async () => {
      const admin = adminUser();
      await createOutcome(admin, { name: '   ' }).expect(400);
      await createOutcome(admin, { name: 'x'.repeat(61) }).expect(400);
      await createOutcome(admin, { name: 'Ok', archived: true }).expect(400);
      expect(await app.db.collection('call_outcomes').countDocuments({})).toBe(0);
    });
  });

  describe(`PATCH ${OUTCOME}`, () => {
    it('renames, but not onto another outcome\'s name in any case', async () => {
      const admin = adminUser();
      const first = await outcomeOf(admin, { name: 'Connected' });
      const second = await outcomeOf(admin, { name: 'No answer' });

      const renamed = await updateOutcome(admin, second, { name: 'Not reached', positive: false }).expect(200);
      expectContract('patch', OUTCOME, renamed);
      expect(renamed.body.outcome).toMatchObject({ name: 'Not reached', positive: false });
      await updateOutcome(admin, second, { name: 'CONNECTED' }).expect(409);
      await updateOutcome(admin, first, { name: 'connected' }).expect(200);
      await updateOutcome(testUser(admin.organizationId), first, { archived: true }).expect(403);
      // The fuzzer's find: a null name used to reach the normaliser (500); null is only for the description.
      const nullName = await updateOutcome(admin, first, { name: null }).expect(400);
      expectContract('patch', OUTCOME, nullName);
      await updateOutcome(admin, first, { positive: null }).expect(400);
      await updateOutcome(admin, first, { archived: null }).expect(400);
      expect((await updateOutcome(admin, first, { description: null }).expect(200)).body.outcome).toMatchObject({ name: 'connected', description: null });
      await updateOutcome(adminUser(), first, { archived: true }).expect(404);
    });
  });

  describe(`DELETE ${OUTCOME}`, () => {
    it('deletes an outcome no call has', async () => {
      const admin = adminUser();
      const id = await outcomeOf(admin, { name: 'Wrong number' });

      await deleteOutcome(admin, id).expect(204);

      await request(app.url).get(`${OUTCOMES}/${id}`).set('Authorization', admin.bearer).expect(404);
      await deleteOutcome(admin, id).expect(404);
    });

    it('refuses (409) while a call has it, which archiving then keeps on the call', async () => {
      const admin = adminUser();
      const id = await outcomeOf(admin, { name: 'Wrong number' });
      const callId = await insertCall(app, { organizationId: admin.organizationId, status: 'completed' });
      await patchCall(admin, callId, { outcomeId: id }).expect(200);

      const refused = await deleteOutcome(admin, id).expect(409);

      expectContract('delete', OUTCOME, refused);
      expect(refused.body.message).toBe('Calls have this outcome; archive it instead, so that no new call can choose it');
      await updateOutcome(admin, id, { archived: true }).expect(200);
      expect((await getCall(admin, callId).expect(200)).body.call.outcomeId).toBe(id);
    });

    it('never leaves a call with a deleted outcome when a PATCH chooses it at the same moment', async () => {
      const admin = adminUser();
      for (let round = 0; round < 6; round++) {
        const id = await outcomeOf(admin, { name: `Racing ${round}` });
        const callId = await insertCall(app, { organizationId: admin.organizationId, status: 'completed' });

        const [chosen, deleted] = await Promise.all([patchCall(admin, callId, { outcomeId: id }), deleteOutcome(admin, id)]);

        // Either the delete came first (the PATCH then finds no such outcome) or the call did (the delete sees it).
        expect([chosen.status, deleted.status].sort()).toEqual(deleted.status === 204 ? [204, 422] : [200, 409]);
        const stored = await app.db.collection('calls').findOne({ _id: new Types.ObjectId(callId) });
        const outcome = await app.db.collection('call_outcomes').findOne({ _id: new Types.ObjectId(id) });
        if (stored?.outcomeId) expect(outcome).not.toBeNull();
      }
    });
  });

  describe(`PATCH ${CALL}: outcome, notes and tags`, () => {
    it('does not wait for the outcome\'s lock when the call keeps the outcome it has', async () => {
      const admin = adminUser();
      const outcomeId = await outcomeOf(admin, { name: 'Voicemail' });
      const callId = await insertCall(app, { organizationId: admin.organizationId, status: 'completed' });
      await patchCall(admin, callId, { outcomeId }).expect(200);
      // Another request holds the outcome's lock (an admin's delete checking for calls, say) for a minute.
      await app.db.collection('call_outcome_locks').insertOne({ _id: new Types.ObjectId(outcomeId), token: 'elsewhere', expiresAt: new Date(Date.now() + 60_000) } as object);

      const started = Date.now();
      const saved = await patchCall(admin, callId, { outcomeId, notes: 'Left a message' }).expect(200);

      expect(saved.body.call).toMatchObject({ outcomeId, notes: 'Left a message' });
      // Waiting for the lock would take its whole wait (over 20 s) and end in 409.
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('sets them at any status, trims and dedupes tags in the order given, and each change is a call.updated event', async () => {
      const admin = adminUser();
      const outcomeId = await outcomeOf(admin, { name: 'Meeting booked', positive: true });
      const callId = await insertCall(app, { organizationId: admin.organizationId, status: 'completed', endTime: new Date(), duration: 0 });

      const response = await patchCall(admin, callId, { outcomeId, notes: 'Wants a demo', tags: [' demo ', 'VIP', 'vip', 'Demo', 'follow-up'] }).expect(200);

      expectContract('patch', CALL, response);
      expect(response.body.call).toMatchObject({ status: 'completed', outcomeId, notes: 'Wants a demo', tags: ['demo', 'VIP', 'follow-up'], version: 1 });
      expect(response.headers.etag).toBe('"1"');
      const cleared = await patchCall(admin, callId, { outcomeId: null, notes: null, tags: [] }).expect(200);
      expect(cleared.body.call).toMatchObject({ outcomeId: null, notes: null, tags: [], version: 2 });

      await relayed(app);
      const feed = await request(app.url).get('/api/events').set('Authorization', admin.bearer).expect(200);
      expect(feed.body.events.map((event: { type: string; data: { changes: string[]; call: { version: number } } }) => [event.type, event.data.changes, event.data.call.version])).toEqual([
        ['call.updated', ['outcomeId', 'notes', 'tags'], 1],
        ['call.updated', ['outcomeId', 'notes', 'tags'], 2],
      ]);
    });

    it('changes nothing, and makes no event, when the values are those the call has', async () => {
      const user = testUser();
      const callId = await insertCall(app, { organizationId: user.organizationId });
      await patchCall(user, callId, { notes: 'same', tags: ['a'] }).expect(200);

      const again = await patchCall(user, callId, { notes: 'same', tags: [' a ', 'A'] }).expect(200);

      expect(again.body.call.version).toBe(1);
      expect(again.body.call.tags).toEqual(['a']);
    });

    it.each([
      ['21 tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags must contain no more than 20 elements'],
      ['a tag of 41 characters', { tags: ['x'.repeat(41)] }, 'each value in tags must be shorter than or equal to 40 characters'],
      ['a blank tag', { tags: ['  '] }, 'each value in tags must not be blank'],
      // The CSV export joins tags with ", ": ["a, b"] would read as ["a", "b"].
      ['a tag with a comma', { tags: ['demo', 'a, b'] }, 'each value in tags must not contain a comma'],
      ['a tag that is not a string', { tags: [3] }, 'each value in tags must be a string'],
      ['tags as null', { tags: null }, 'tags must be an array'],
      ['notes of 10,001 characters', { notes: 'x'.repeat(10_001) }, 'notes must be shorter than or equal to 10000 characters'],
      ['an outcomeId that is no id', { outcomeId: 'nope' }, 'outcomeId must be a 24-character hexadecimal id'],
    ])('refuses %s (400) and writes nothing', async (_name, body, message) => {
      const user = testUser();
      const callId = await insertCall(app, { organizationId: user.organizationId });

      const response = await patchCall(user, callId, body).expect(400);

      expect(response.body.message).toContain(message);
      expect((await getCall(user, callId).expect(200)).body.call).toMatchObject({ notes: null, tags: [], version: 0 });
    });

    it('accepts 20 tags of 40 characters and notes of 10,000', async () => {
      const user = testUser();
      const callId = await insertCall(app, { organizationId: user.organizationId });
      const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(40, 'x'));

      const response = await patchCall(user, callId, { tags, notes: 'n'.repeat(10_000) }).expect(200);

      expect(response.body.call.tags).toEqual(tags);
    });

    it('refuses (422) an outcome of another organization or an archived one, but keeps an archived outcome the call has', async () => {
      const admin = adminUser();
      const foreign = await outcomeOf(adminUser(), { name: 'Elsewhere' });
      const archived = await outcomeOf(admin, { name: 'Old' });
      const callId = await insertCall(app, { organizationId: admin.organizationId });
      await patchCall(admin, callId, { outcomeId: archived }).expect(200);
      await updateOutcome(admin, archived, { archived: true }).expect(200);
      const other = await insertCall(app, { organizationId: admin.organizationId });

      const notOurs = await patchCall(admin, other, { outcomeId: foreign }).expect(422);
      const refused = await patchCall(admin, other, { outcomeId: archived, notes: 'not written either' }).expect(422);
      const kept = await patchCall(admin, callId, { outcomeId: archived, notes: 'still fine' }).expect(200);

      expectContract('patch', CALL, refused);
      expect(notOurs.body.message).toBe('outcomeId is not an outcome of the organization');
      expect(refused.body.message).toBe('The outcome is archived; it can no longer be chosen for a call');
      expect((await getCall(admin, other).expect(200)).body.call).toMatchObject({ outcomeId: null, notes: null });
      expect(kept.body.call).toMatchObject({ outcomeId: archived, notes: 'still fine' });
    });
  });

  describe(`ETag and If-Match on ${CALL}`, () => {
    it('gives every call answer its version as the ETag, readable by the dialer\'s origin', async () => {
      const user = testUser();
      const created = await request(app.url).post('/api/calls/sdk/initiate').set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);
      const id = created.body.call._id;
      expect(created.headers.etag).toBe('"1"');
      // A 409 carries the call as it stands, and so its ETag.
      await patchCall(user, id, { status: 'completed' }).expect(200);
      const refused = await patchCall(user, id, { status: 'ringing' }).expect(409);
      expect(refused.headers.etag).toBe(`"${refused.body.call.version}"`);
      expect(refused.body.call.version).toBeGreaterThan(1);

      const response = await getCall(user, id).set('Origin', DIALER).expect(200);

      expectContract('get', CALL, response);
      expect(response.headers.etag).toBe(`"${response.body.call.version}"`);
      expect(response.headers['access-control-expose-headers']).toMatch(/ETag/);
      const preflight = await request(app.url)
        .options(`${CALLS}/${id}`)
        .set('Origin', DIALER)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'authorization,content-type,if-match')
        .expect(204);
      expect(preflight.headers['access-control-allow-headers']).toMatch(/If-Match/);
    });

    it('lets exactly one of two agents who saw the same version write; the other gets 412 with the call as it is now', async () => {
      const user = testUser();
      const colleague = testUser(user.organizationId);
      const callId = await insertCall(app, { organizationId: user.organizationId, status: 'completed' });
      const { etag } = (await getCall(user, callId).expect(200)).headers;

      const answers = await Promise.all([
        patchCall(user, callId, { notes: 'from the first agent' }, etag),
        patchCall(colleague, callId, { notes: 'from the second agent', tags: ['second'] }, etag),
      ]);

      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
      const [won, lost] = answers[0].status === 200 ? answers : [answers[1], answers[0]];
      expectContract('patch', CALL, lost);
      expect(lost.body).toEqual({
        success: false,
        statusCode: 412,
        error: 'Precondition Failed',
        message: 'The call is at version 1, which If-Match does not name: send its ETag ("1", with the quotes)',
        call: won.body.call,
      });
      // With the call as it is now comes its ETag: the loser can apply its change to it.
      expect(lost.headers.etag).toBe(won.headers.etag);
      expect((await getCall(user, callId).expect(200)).body.call).toEqual(won.body.call);
    });

    it('writes with a matching If-Match (or *), and without one the last write wins', async () => {
      const user = testUser();
      const callId = await insertCall(app, { organizationId: user.organizationId });

      const first = await patchCall(user, callId, { notes: 'one' }, '"0"').expect(200);
      await patchCall(user, callId, { notes: 'two' }, `"7", ${first.headers.etag}`).expect(200);
      await patchCall(user, callId, { notes: 'three' }, '*').expect(200);
      await patchCall(user, callId, { notes: 'stale' }, first.headers.etag).expect(412);
      await patchCall(user, callId, { notes: 'weak' }, 'W/"3"').expect(412);
      const last = await patchCall(user, callId, { notes: 'last' }).expect(200);

      expect(last.body.call).toMatchObject({ notes: 'last', version: 4 });
      expect(last.headers.etag).toBe('"4"');
    });

    it('never matches a malformed If-Match (412, saying how to send it) and checks it against status reports too', async () => {
      const user = testUser();
      const callId = await insertCall(app, { organizationId: user.organizationId, status: 'ringing' });

      const malformed = await patchCall(user, callId, { notes: 'x' }, '0').expect(412);
      await patchCall(user, callId, { status: 'in-progress' }, '"9"').expect(412);

      expect(malformed.body.message).toBe('The call is at version 0, which If-Match does not name: send its ETag ("0", with the quotes)');
      expect((await getCall(user, callId).expect(200)).body.call).toMatchObject({ status: 'ringing', notes: null });
    });
  });

  describe('/api/calls/stats and /api/calls/export with another method', () => {
    it.each(['patch', 'post', 'delete'] as const)('answers %s with 405, not as if stats or export were a call id', async (method) => {
      for (const path of ['/api/calls/stats', '/api/calls/export']) {
        const response = await request(app.url)[method](path).set('Authorization', testUser().bearer).expect(405);
        expect(response.headers.allow).toMatch(/GET/);
        expect(response.body).toMatchObject({ success: false, statusCode: 405, error: 'Method Not Allowed' });
      }
    });
  });

  describe(`GET ${CALLS}: outcomeId, tag and q`, () => {
    it('filters by outcome, by every tag given (ignoring case), and by text in the notes or the contact\'s name', async () => {
      const admin = adminUser();
      const org = admin.organizationId;
      const booked = await outcomeOf(admin, { name: 'Booked' });
      const ada = await insertContact(app, { organizationId: org, firstName: 'Ada', lastName: 'Lovelace' });
      const alan = await insertContact(app, { organizationId: org, firstName: 'Alan', lastName: 'Turing' });
      const a = await insertCall(app, { organizationId: org, contactId: ada, startTime: new Date('2026-11-01T10:00:00Z') });
      const b = await insertCall(app, { organizationId: org, contactId: alan, startTime: new Date('2026-11-02T10:00:00Z') });
      const c = await insertCall(app, { organizationId: org, startTime: new Date('2026-11-03T10:00:00Z') });
      await insertCall(app, { organizationId: newId(), startTime: new Date('2026-11-03T10:00:00Z') });
      await patchCall(admin, a, { outcomeId: booked, tags: ['Demo', 'VIP'] }).expect(200);
      await patchCall(admin, b, { tags: ['demo'], notes: 'Asked about LOVELACE-style pricing (a+b)' }).expect(200);
      await patchCall(admin, c, { notes: 'nothing of note' }).expect(200);
      const ids = async (query: Record<string, string | string[]>) => {
        const response = await listCalls(admin, query).expect(200);
        expectContract('get', CALLS, response);
        return response.body.calls.map((call: { _id: string }) => call._id);
      };

      expect(await ids({ outcomeId: booked })).toEqual([a]);
      expect(await ids({ tag: 'DEMO' })).toEqual([b, a]);
      expect(await ids({ tag: ['demo', 'vip'] })).toEqual([a]);
      expect(await ids({ q: 'lovelace' })).toEqual([b, a]);
      expect(await ids({ q: '(A+B)' })).toEqual([b]);
      expect(await ids({ q: 'turing', tag: 'demo' })).toEqual([b]);
      expect(await ids({ q: 'of note' })).toEqual([c]);
      expect(await ids({ q: 'nobody' })).toEqual([]);
      // The contact's name is "first last": text across the space matches it too, and only it.
      expect(await ids({ q: 'ADA LOVELACE' })).toEqual([a]);
      expect(await ids({ q: 'an tur' })).toEqual([b]);
      expect(await ids({ q: 'ada turing' })).toEqual([]);
    });

    it('refuses a blank q or tag and a q that is too long (400)', async () => {
      const user = testUser();
      await listCalls(user, { q: '  ' }).expect(400);
      await listCalls(user, { tag: ' ' }).expect(400);
      await listCalls(user, { q: 'x'.repeat(101) }).expect(400);
      await listCalls(user, { outcomeId: 'x' }).expect(400);
    });

    it('answers 422 when q matches the names of more than 1000 contacts, rather than a query without bound', async () => {
      const user = testUser();
      const organizationId = new Types.ObjectId(user.organizationId);
      await app.db.collection('contacts').insertMany(
        Array.from({ length: 1001 }, (_, i) => ({ organizationId, firstName: `Smith ${i}`, lastName: null, phoneNumbers: [], createdAt: new Date(), updatedAt: new Date() })),
      );

      const response = await listCalls(user, { q: 'smith' }).expect(422);

      expectContract('get', CALLS, response);
      expect(response.body.message).toBe('q matches the names of more than 1000 contacts; make it longer');
      await listCalls(user, { q: 'smith 1000' }).expect(200);
    });
  });
});
