import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp, TEST_CALLER_ID } from './support/app';
import { newId, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { countCalls, insertContact, relayed } from './support/factories';

const INITIATE = '/api/calls/sdk/initiate';

describe(`POST ${INITIATE}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const initiate = (bearer: string | null, body: unknown) => {
    const call = request(app.url).post(INITIATE);
    if (bearer) call.set('Authorization', bearer);
    return call.send(body as object);
  };

  describe('recording a call', () => {
    it('records the published example: contact and number given, caller ID from the settings', async () => {
      const user = testUser();
      const contactId = await insertContact(app, {
        _id: '64f0a1b2c3d4e5f6a7b8c9d0',
        organizationId: user.organizationId,
        phoneNumber: '+14165550111',
        phoneNumbers: ['+14165550199'],
      });
      const before = Date.now();

      const response = await initiate(user.bearer, { contactId, phoneNumber: '+14165550199' }).expect(201);

      expectContract('post', INITIATE, response);
      const { call } = response.body;
      expect(response.body).toEqual({ success: true, call: expect.any(Object), message: 'Call recorded' });
      expect(call).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{24}$/),
        callId: call._id,
        callToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        provider: 'sinch',
        providerCallId: null,
        direction: 'outbound',
        status: 'initiated',
        from: TEST_CALLER_ID,
        to: '+14165550199',
        contactId: '64f0a1b2c3d4e5f6a7b8c9d0',
        conversationId: null,
        organizationId: user.organizationId,
        userId: user.userId,
        providerPhoneNumber: TEST_CALLER_ID,
        startTime: expect.any(String),
        answerTime: null,
        endTime: null,
        duration: null,
        endReason: null,
        cost: null,
        recordings: [],
        outcomeId: null,
        notes: null,
        tags: [],
        version: 1,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const startTime = Date.parse(call.startTime);
      expect(startTime).toBeGreaterThanOrEqual(before - 1000);
      expect(startTime).toBeLessThanOrEqual(Date.now() + 1000);
      expect(call.startTime).toBe(new Date(startTime).toISOString());

      // The whole document, so that a field the schema has but the insert forgot cannot go unnoticed;
      // its outbox holds the call.initiated event, relayed (its mark is gone), until the call's next write.
      await relayed(app);
      const stored = await app.db.collection('calls').findOne({ _id: new Types.ObjectId(call._id) });
      expect(stored).toEqual({
        _id: new Types.ObjectId(call._id),
        organizationId: new Types.ObjectId(user.organizationId),
        userId: new Types.ObjectId(user.userId),
        provider: 'sinch',
        providerCallId: null,
        callToken: call.callToken,
        direction: 'outbound',
        status: 'initiated',
        from: TEST_CALLER_ID,
        to: '+14165550199',
        contactId: new Types.ObjectId(contactId),
        conversationId: null,
        providerPhoneNumber: TEST_CALLER_ID,
        startTime: new Date(call.startTime),
        answerTime: null,
        endTime: null,
        duration: null,
        endReason: null,
        cost: null,
        recordings: [],
        outcomeId: null,
        notes: null,
        tags: [],
        tagKeys: [],
        startQuarterHour: Math.floor(startTime / (15 * 60_000)),
        ringSeconds: null,
        createdAt: new Date(call.createdAt),
        updatedAt: new Date(call.updatedAt),
        pendingEvents: [{ seq: 1, type: 'call.initiated', createdAt: new Date(call.createdAt), changes: [], call: expect.any(String), marked: true }],
        eventSeq: 1,
      });
      expect(JSON.parse(stored?.pendingEvents[0].call)).toEqual(call);
    });

    it('dials the contact\'s main number when only contactId is given', async () => {
      const user = testUser();
      const contactId = await insertContact(app, { organizationId: user.organizationId, phoneNumber: '+442071838750' });

      const response = await initiate(user.bearer, { contactId: contactId.toUpperCase() }).expect(201);

      expect(response.body.call).toMatchObject({ to: '+442071838750', contactId });
    });

    it('dials the contact\'s first other number when it has no main number', async () => {
      const user = testUser();
      const contactId = await insertContact(app, {
        organizationId: user.organizationId,
        phoneNumber: null,
        phoneNumbers: ['+33612345678', '+14165550123'],
      });

      const response = await initiate(user.bearer, { contactId }).expect(201);

      expect(response.body.call).toMatchObject({ to: '+33612345678', contactId });
    });

    it('normalises the number and records the call without a contact when none has it', async () => {
      const user = testUser();

      const response = await initiate(user.bearer, { phoneNumber: '+1 (416) 555-0199' }).expect(201);

      expectContract('post', INITIATE, response);
      expect(response.body.call).toMatchObject({ to: '+14165550199', contactId: null });
    });

    it.each([
      ['main number', { phoneNumber: '+14165550199' }],
      ['other number', { phoneNumber: '+14165550111', phoneNumbers: ['+14165550199'] }],
    ])('links a number-only call to the organization\'s contact with that %s', async (_label, numbers) => {
      const user = testUser();
      const contactId = await insertContact(app, { organizationId: user.organizationId, ...numbers });

      const response = await initiate(user.bearer, { phoneNumber: '+14165550199' }).expect(201);

      expect(response.body.call.contactId).toBe(contactId);
    });

    describe('tenant isolation', () => {
      it('answers 404 for a contact of another organization, and writes nothing', async () => {
        const owner = testUser();
        const stranger = testUser();
        const contactId = await insertContact(app, { organizationId: owner.organizationId });

        const response = await initiate(stranger.bearer, { contactId }).expect(404);

        expectContract('post', INITIATE, response);
        expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Contact not found' });
        expect(await countCalls(app)).toBe(0);
      });

      it('never links a number-only call to another organization\'s contact', async () => {
        const owner = testUser();
        const stranger = testUser();
        await insertContact(app, { organizationId: owner.organizationId, phoneNumber: '+14165550199' });

        const response = await initiate(stranger.bearer, { phoneNumber: '+14165550199' }).expect(201);

        expect(response.body.call).toMatchObject({ contactId: null, organizationId: stranger.organizationId });
      });

      it('lets each organization use its own contact and see only its own calls', async () => {
        const a = testUser();
        const b = testUser();
        const contactA = await insertContact(app, { organizationId: a.organizationId, phoneNumber: '+14165550199' });
        const contactB = await insertContact(app, { organizationId: b.organizationId, phoneNumber: '+14165550199' });

        const callA = await initiate(a.bearer, { phoneNumber: '+14165550199' }).expect(201);
        const callB = await initiate(b.bearer, { phoneNumber: '+14165550199' }).expect(201);
        await initiate(a.bearer, { contactId: contactB }).expect(404);
        await initiate(b.bearer, { contactId: contactA }).expect(404);

        expect(callA.body.call.contactId).toBe(contactA);
        expect(callB.body.call.contactId).toBe(contactB);
        expect(await countCalls(app, { organizationId: new Types.ObjectId(a.organizationId) })).toBe(1);
        expect(await countCalls(app, { organizationId: new Types.ObjectId(b.organizationId) })).toBe(1);
      });

      it('refuses an organizationId or userId in the body instead of trusting it', async () => {
        const user = testUser();

        const response = await initiate(user.bearer, { phoneNumber: '+14165550199', organizationId: newId(), userId: newId() }).expect(400);

        expectContract('post', INITIATE, response);
        expect(response.body.details).toEqual(
          expect.arrayContaining([
            { field: 'organizationId', message: 'property organizationId should not exist' },
            { field: 'userId', message: 'property userId should not exist' },
          ]),
        );
        expect(await countCalls(app)).toBe(0);
      });
    });

    describe('bad input is a 400 in the one error shape, and writes nothing', () => {
      const cases: [string, unknown, string][] = [
        ['neither field', {}, 'contactId or phoneNumber is required'],
        ['contactId not 24-hex', { contactId: '64f0a1b2c3d4e5f6a7b8c9dz' }, 'contactId must be a 24-character hexadecimal id'],
        ['contactId too short', { contactId: '64f0a1b2' }, 'contactId must be a 24-character hexadecimal id'],
        ['contactId as a number', { contactId: 12345 }, 'contactId must be a string'],
        ['contactId as an operator object', { contactId: { $ne: null } }, 'contactId must be a string'],
        ['contactId as an array', { contactId: ['64f0a1b2c3d4e5f6a7b8c9d0'] }, 'contactId must be a string'],
        ['contactId null', { contactId: null, phoneNumber: '+14165550199' }, 'contactId must be a string'],
        ['phoneNumber without + and country code', { phoneNumber: '4165550199' }, 'phoneNumber must be a valid phone number in E.164'],
        ['phoneNumber with letters', { phoneNumber: '+1416CALLNOW' }, 'phoneNumber must be a valid phone number in E.164'],
        ['phoneNumber with a tab, which openapi.yaml does not allow', { phoneNumber: '+1\t416 555 0199' }, 'phoneNumber must be a valid phone number in E.164'],
        ['phoneNumber as a number', { phoneNumber: 14165550199 }, 'phoneNumber must be a string'],
        ['phoneNumber as an operator object', { phoneNumber: { $gt: '' } }, 'phoneNumber must be a string'],
        ['phoneNumber null', { phoneNumber: null }, 'phoneNumber must be a string'],
        ['an over-long phoneNumber', { phoneNumber: `+1${'4'.repeat(5000)}` }, 'phoneNumber must be shorter than or equal to 32 characters'],
        ['an unknown property', { phoneNumber: '+14165550199', extra: true }, 'property extra should not exist'],
        ['a JSON array body', [{ phoneNumber: '+14165550199' }], 'contactId or phoneNumber is required'],
      ];

      it.each(cases)('%s', async (_label, body, message) => {
        const user = testUser();

        const response = await initiate(user.bearer, body).expect(400);

        expectContract('post', INITIATE, response);
        expect(response.body).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
        expect(response.body.message).toContain(message);
        expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining(message) })]));
        expect(await countCalls(app)).toBe(0);
      });

      it('malformed JSON', async () => {
        const user = testUser();

        const response = await request(app.url)
          .post(INITIATE)
          .set('Authorization', user.bearer)
          .set('Content-Type', 'application/json')
          .send('{"phoneNumber": "+14165550199"')
          .expect(400);

        expectContract('post', INITIATE, response);
        expect(response.body).toEqual({ success: false, statusCode: 400, error: 'Bad Request', message: expect.stringContaining('JSON') });
        expect(await countCalls(app)).toBe(0);
      });

      it('a body that is not JSON is 415', async () => {
        const user = testUser();

        const response = await request(app.url)
          .post(INITIATE)
          .set('Authorization', user.bearer)
          .set('Content-Type', 'text/plain')
          .send('+14165550199')
          .expect(415);

        expectContract('post', INITIATE, response);
        expect(response.body).toMatchObject({ success: false, statusCode: 415, error: 'Unsupported Media Type' });
      });

      it('a body over the limit is 413', async () => {
        const user = testUser();

        const response = await initiate(user.bearer, { phoneNumber: '+14165550199', padding: 'x'.repeat(200 * 1024) }).expect(413);

        expectContract('post', INITIATE, response);
        expect(response.body).toMatchObject({ success: false, statusCode: 413, error: 'Payload Too Large' });
        expect(await countCalls(app)).toBe(0);
      });
    });

    it('answers 404 for a contact that does not exist', async () => {
      const user = testUser();

      const response = await initiate(user.bearer, { contactId: newId() }).expect(404);

      expectContract('post', INITIATE, response);
      expect(await countCalls(app)).toBe(0);
    });

    it('answers 422 for a contact without any phone number, and writes nothing', async () => {
      const user = testUser();
      const contactId = await insertContact(app, { organizationId: user.organizationId, phoneNumber: null, phoneNumbers: [] });

      const response = await initiate(user.bearer, { contactId }).expect(422);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual({
        success: false,
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'The contact has no phone number',
      });
      expect(await countCalls(app)).toBe(0);
    });

    it('requires a bearer token', async () => {
      const response = await initiate(null, { phoneNumber: '+14165550199' }).expect(401);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token' });
      expect(await countCalls(app)).toBe(0);
    });

    it('stores every one of 100 concurrent initiates', async () => {
      const user = testUser();
      const contactId = await insertContact(app, { organizationId: user.organizationId });

      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => initiate(user.bearer, i % 2 ? { contactId } : { phoneNumber: '+14165550199' })),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(100).fill(201));
      const ids = new Set(responses.map((response) => response.body.call._id));
      expect(ids.size).toBe(100);
      expect(await countCalls(app, { organizationId: new Types.ObjectId(user.organizationId), contactId: new Types.ObjectId(contactId) })).toBe(100);
    });
  });
});

describe(`POST ${INITIATE} without a caller ID`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ DEFAULT_CALLER_ID: undefined });
  });
  afterAll(() => app.stop());

  it('answers 422 and writes nothing', async () => {
    const user = testUser();

    const response = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(422);

    expectContract('post', INITIATE, response);
    expect(response.body).toEqual({
      success: false,
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: 'No caller ID is configured for this organization',
    });
    expect(await countCalls(app)).toBe(0);
  });
});
