import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp } from './support/app';
import { newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { countCalls, insertCall, insertContact } from './support/factories';

const INITIATE = '/api/calls/sdk/initiate';
const DAY_MS = 24 * 60 * 60 * 1000;

interface StoredKey {
  _id: string;
  requestHash: string;
  resourceId: Types.ObjectId;
  organizationId: Types.ObjectId;
  userId: Types.ObjectId;
  createdAt: Date;
  expiresAt: Date;
}

describe('CallsController', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const initiate = (user: TestUser, body: object, key?: string) => {
    const call = request(app.url).post(INITIATE).set('Authorization', user.bearer);
    if (key !== undefined) call.set('Idempotency-Key', key);
    return call.send(body);
  };
  const keys = () => app.db.collection<StoredKey>('idempotency_keys');

  describe(`POST ${INITIATE} with an Idempotency-Key`, () => {
    it('records the call once and answers a repeat with the same call, marked as a replay, writing nothing', async () => {
      const user = testUser();
      const first = await initiate(user, { phoneNumber: '+14165550199' }, 'key-1').expect(201);
      const storedKeys = await keys().find().toArray();
      const storedCall = await app.db.collection('calls').findOne({ _id: new Types.ObjectId(first.body.call._id) });

      const repeat = await initiate(user, { phoneNumber: '+14165550199' }, 'key-1').expect(201);

      expectContract('post', INITIATE, first);
      expectContract('post', INITIATE, repeat);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body).toEqual(first.body);
      expect(await countCalls(app)).toBe(1);
      expect(await keys().find().toArray()).toEqual(storedKeys);
      expect(await app.db.collection('calls').findOne({ _id: new Types.ObjectId(first.body.call._id) })).toEqual(storedCall);
    });

    it('keeps the key for 24 hours, tied to the call it created, and stores no raw key', async () => {
      const user = testUser();

      const response = await initiate(user, { phoneNumber: '+14165550199' }, 'my-secret-key').expect(201);

      const [stored] = await keys().find().toArray();
      expect(stored).toEqual({
        _id: expect.stringMatching(/^[0-9a-f]{64}$/),
        requestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        resourceId: new Types.ObjectId(response.body.call._id),
        organizationId: new Types.ObjectId(user.organizationId),
        userId: new Types.ObjectId(user.userId),
        createdAt: expect.any(Date),
        expiresAt: expect.any(Date),
      });
      expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(DAY_MS);
      expect(JSON.stringify(stored)).not.toContain('my-secret-key');
    });

    it('treats a body that says the same thing differently as the same request', async () => {
      const user = testUser();
      const contactId = await insertContact(app, { organizationId: user.organizationId, phoneNumber: '+14165550199' });
      const first = await initiate(user, { contactId, phoneNumber: '+1 (416) 555-0199' }, 'same-meaning').expect(201);

      const repeat = await initiate(user, { phoneNumber: '+14165550199', contactId: contactId.toUpperCase() }, 'same-meaning').expect(201);

      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body.call._id).toBe(first.body.call._id);
      expect(await countCalls(app)).toBe(1);
    });

    it('answers the call as it is now, after it has moved on', async () => {
      const user = testUser();
      const first = await initiate(user, { phoneNumber: '+14165550199' }, 'then-ringing').expect(201);
      await request(app.url).patch(`/api/calls/${first.body.call._id}`).set('Authorization', user.bearer).send({ status: 'ringing' }).expect(200);

      const repeat = await initiate(user, { phoneNumber: '+14165550199' }, 'then-ringing').expect(201);

      expect(repeat.body.call).toMatchObject({ _id: first.body.call._id, status: 'ringing' });
    });

    it('refuses the same key with a different body with 422, writing nothing', async () => {
      const user = testUser();
      await initiate(user, { phoneNumber: '+14165550199' }, 'key-2').expect(201);
      const storedKeys = await keys().find().toArray();

      const response = await initiate(user, { phoneNumber: '+14165550123' }, 'key-2').expect(422);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual({
        success: false,
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'This Idempotency-Key was already used with a different request body',
      });
      expect(await countCalls(app)).toBe(1);
      expect(await keys().find().toArray()).toEqual(storedKeys);
    });

    it('makes exactly one call of 20 simultaneous requests with one key, and answers each with it', async () => {
      const user = testUser();

      const responses = await Promise.all(Array.from({ length: 20 }, () => initiate(user, { phoneNumber: '+14165550199' }, 'stampede')));

      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
      const ids = new Set(responses.map((response) => response.body.call._id));
      expect(ids.size).toBe(1);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
      expect(await countCalls(app)).toBe(1);
      expect(await app.db.collection('calls').findOne({})).toMatchObject({ _id: new Types.ObjectId([...ids][0]) });
      expect(await keys().countDocuments()).toBe(1);
    });

    it('keeps keys apart per user and per organization', async () => {
      const user = testUser();
      const colleague = testUser(user.organizationId);
      const stranger = testUser();

      const responses = [
        await initiate(user, { phoneNumber: '+14165550199' }, 'shared-key').expect(201),
        await initiate(colleague, { phoneNumber: '+14165550199' }, 'shared-key').expect(201),
        await initiate(stranger, { phoneNumber: '+14165550199' }, 'shared-key').expect(201),
      ];

      expect(new Set(responses.map((response) => response.body.call._id)).size).toBe(3);
      expect(responses.every((response) => response.headers['idempotent-replayed'] === undefined)).toBe(true);
      expect(await countCalls(app)).toBe(3);
    });

    it('without a key, every request records a call of its own', async () => {
      const user = testUser();

      await initiate(user, { phoneNumber: '+14165550199' }).expect(201);
      await initiate(user, { phoneNumber: '+14165550199' }).expect(201);

      expect(await countCalls(app)).toBe(2);
      expect(await keys().countDocuments()).toBe(0);
    });

    it('releases the key when the first request fails, so a retry runs afresh', async () => {
      const user = testUser();
      const contactId = newId();
      const failed = await initiate(user, { contactId }, 'retry-me').expect(404);
      await insertContact(app, { _id: contactId, organizationId: user.organizationId });

      const retried = await initiate(user, { contactId }, 'retry-me').expect(201);

      expectContract('post', INITIATE, failed);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(retried.body.call.contactId).toBe(contactId);
      expect(await countCalls(app)).toBe(1);
    });

    it('treats an expired key as new', async () => {
      const user = testUser();
      const first = await initiate(user, { phoneNumber: '+14165550199' }, 'old-key').expect(201);
      await keys().updateMany({}, { $set: { createdAt: new Date(Date.now() - DAY_MS - 60_000), expiresAt: new Date(Date.now() - 60_000) } });

      const again = await initiate(user, { phoneNumber: '+14165550123' }, 'old-key').expect(201);

      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.call._id).not.toBe(first.body.call._id);
      expect(await countCalls(app)).toBe(2);
      const [stored] = await keys().find().toArray();
      expect(stored.resourceId.toHexString()).toBe(again.body.call._id);
      expect(stored.expiresAt.getTime()).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
    });

    describe('a repeat that finds the first request still running', () => {
      /** The claim a first request leaves while it is still creating its call, written straight to the database. */
      async function pendingClaim(user: TestUser, body: object, key: string, age: number): Promise<Types.ObjectId> {
        const probe = await initiate(user, body, key).expect(201);
        const claim = await keys().findOne({});
        await app.db.collection('calls').deleteOne({ _id: new Types.ObjectId(probe.body.call._id) });
        await keys().updateOne({ _id: claim!._id }, { $set: { createdAt: new Date(Date.now() - age) } });
        return claim!.resourceId;
      }

      it('waits for it to finish and answers its call', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'slow', 0);

        const repeat = initiate(user, { phoneNumber: '+14165550199' }, 'slow');
        const finished = new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
          insertCall(app, { _id: resourceId.toHexString(), organizationId: user.organizationId, userId: user.userId }),
        );
        const [response] = await Promise.all([repeat, finished]);

        expect(response.status).toBe(201);
        expect(response.headers['idempotent-replayed']).toBe('true');
        expect(response.body.call._id).toBe(resourceId.toHexString());
        expect(await countCalls(app)).toBe(1);
      });

      it('asks its client to retry with 409 when it does not finish in time', async () => {
        const user = testUser();
        await pendingClaim(user, { phoneNumber: '+14165550199' }, 'stuck', 0);

        const response = await initiate(user, { phoneNumber: '+14165550199' }, 'stuck').expect(409);

        expectContract('post', INITIATE, response);
        expect(response.body).toEqual({
          success: false,
          statusCode: 409,
          error: 'Conflict',
          message: 'A request with this Idempotency-Key is still being carried out; retry shortly',
        });
        expect(await countCalls(app)).toBe(0);
      }, 15_000);

      it('creates the call itself, with the id the first request claimed, once that request is taken to have died', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'orphaned', 31_000);

        const response = await initiate(user, { phoneNumber: '+14165550199' }, 'orphaned').expect(201);

        expect(response.body.call._id).toBe(resourceId.toHexString());
        expect(await countCalls(app)).toBe(1);
      });
    });

    describe('a malformed key is 400 and writes nothing', () => {
      it.each([
        ['empty', ''],
        ['longer than 255 characters', 'k'.repeat(256)],
        ['with a tab', 'a\tb'],
        ['with a non-ASCII letter', 'clé'],
      ])('%s', async (_label, key) => {
        const response = await initiate(testUser(), { phoneNumber: '+14165550199' }, key).expect(400);

        expectContract('post', INITIATE, response);
        expect(response.body).toEqual({
          success: false,
          statusCode: 400,
          error: 'Bad Request',
          message: 'Idempotency-Key must be 1 to 255 printable ASCII characters',
        });
        expect(await countCalls(app)).toBe(0);
        expect(await keys().countDocuments()).toBe(0);
      });

      it('accepts 255 printable characters', async () => {
        const key = `${'k'.repeat(250)} !~{}`;

        const response = await initiate(testUser(), { phoneNumber: '+14165550199' }, key).expect(201);

        expectContract('post', INITIATE, response);
      });
    });
  });
});

describe('CallsController: expired Idempotency-Keys', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('are purged in the background, while live keys stay', async () => {
    const now = Date.now();
    const key = (id: string, expiresAt: number) => ({
      _id: id,
      requestHash: 'h',
      resourceId: new Types.ObjectId(),
      organizationId: new Types.ObjectId(),
      userId: new Types.ObjectId(),
      createdAt: new Date(expiresAt - DAY_MS),
      expiresAt: new Date(expiresAt),
    });
    const stored = app.db.collection<{ _id: string }>('idempotency_keys');
    await stored.insertMany([key('expired-1', now - 1000), key('expired-2', now - DAY_MS), key('live', now + 60_000)]);
    const user = testUser();

    await request(app.url).post(INITIATE).set('Authorization', user.bearer).set('Idempotency-Key', 'trigger').send({ phoneNumber: '+14165550199' }).expect(201);

    let left: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      left = (await stored.find().toArray()).map((document) => document._id).sort();
      if (!left.includes('expired-1') && !left.includes('expired-2')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(left).toHaveLength(2);
    expect(left).toContain('live');
    expect(left).not.toContain('expired-1');
    expect(left).not.toContain('expired-2');
  });
});
