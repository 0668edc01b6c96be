import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp } from './support/app';
import { newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { countCalls, insertCall, insertContact, relayed } from './support/factories';

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

describe(`POST ${INITIATE} with an Idempotency-Key`, () => {
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

  describe('one key, one call', () => {
    it('records the call once and answers a repeat with the same call, marked as a replay, writing nothing', async () => {
      const user = testUser();
      const first = await initiate(user, { phoneNumber: '+14165550199' }, 'key-1').expect(201);
      const storedKeys = await keys().find().toArray();
      await relayed(app);
      const storedCall = await app.db.collection('calls').findOne({ _id: new Types.ObjectId(first.body.call._id) });

      const repeat = await initiate(user, { phoneNumber: '+14165550199' }, 'key-1').expect(201);

      expectContract('post', INITIATE, first);
      expectContract('post', INITIATE, repeat);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body).toEqual(first.body);
      expect(await countCalls(app)).toBe(1);
      expect(await keys().find().toArray()).toEqual(storedKeys);
      await relayed(app);
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
      expect(await app.db.collection('idempotency_leases').countDocuments()).toBe(0);
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
      const otherBody = await initiate(user, { contactId: newId() }, 'retry-me-too');
      await initiate(user, { contactId }, 'retry-me-too').expect(201);

      expect(otherBody.status).toBe(404);
      expectContract('post', INITIATE, failed);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      expect(retried.body.call.contactId).toBe(contactId);
      expect(await countCalls(app)).toBe(2);
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

    describe('a repeat that finds another attempt on its key', () => {
      const leases = () => app.db.collection<{ _id: string; token: string; expiresAt: Date }>('idempotency_leases');

      /**
       * The claim an attempt leaves while it is still creating its call, or after it died, written
       * straight to the database: the claim without its call, and the attempt's lease until `leaseUntil`.
       */
      async function pendingClaim(user: TestUser, body: object, key: string, leaseUntil: Date | null): Promise<Types.ObjectId> {
        const probe = await initiate(user, body, key).expect(201);
        const claim = await keys().findOne({});
        await app.db.collection('calls').deleteOne({ _id: new Types.ObjectId(probe.body.call._id) });
        if (leaseUntil) await leases().insertOne({ _id: claim!._id, token: 'first-attempt', expiresAt: leaseUntil });
        return claim!.resourceId;
      }
      const inOneSecond = () => new Date(Date.now() + 1000);

      it('waits for it to finish and answers its call', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'slow', inOneSecond());

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

      it('asks its client to retry with 409 and Retry-After, within about a second, while it holds the key', async () => {
        const user = testUser();
        await pendingClaim(user, { phoneNumber: '+14165550199' }, 'stuck', new Date(Date.now() + 60_000));

        const started = Date.now();
        const response = await initiate(user, { phoneNumber: '+14165550199' }, 'stuck').expect(409);

        expect(Date.now() - started).toBeLessThan(2000);
        expectContract('post', INITIATE, response);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.body).toEqual({
          success: false,
          statusCode: 409,
          error: 'Conflict',
          message: 'A request with this Idempotency-Key is still being carried out; retry shortly',
        });
        expect(await countCalls(app)).toBe(0);
      });

      it('answers 409 at once when that attempt shows it is alive by renewing its lease', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'renewing', inOneSecond());
        const renewing = setInterval(() => void leases().updateOne({ token: 'first-attempt' }, { $set: { expiresAt: inOneSecond() } }), 100);

        try {
          const started = Date.now();
          await initiate(user, { phoneNumber: '+14165550199' }, 'renewing').expect(409);
          expect(Date.now() - started).toBeLessThan(900);
        } finally {
          clearInterval(renewing);
        }
        expect(await app.db.collection('calls').countDocuments({ _id: resourceId })).toBe(0);
      });

      it('creates the call itself, with the id the first attempt claimed, as soon as that attempt\'s lease has lapsed', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'orphaned', new Date(Date.now() - 1));

        const started = Date.now();
        const response = await initiate(user, { phoneNumber: '+14165550199' }, 'orphaned').expect(201);

        expect(Date.now() - started).toBeLessThan(1000);
        expect(response.headers['idempotent-replayed']).toBeUndefined();
        expect(response.body.call._id).toBe(resourceId.toHexString());
        expect(await countCalls(app)).toBe(1);
        expect(await leases().countDocuments()).toBe(0);
      });

      it('creates it, with the claimed id, when the attempt died before taking its lease', async () => {
        const user = testUser();
        const resourceId = await pendingClaim(user, { phoneNumber: '+14165550199' }, 'no-lease', null);

        const response = await initiate(user, { phoneNumber: '+14165550199' }, 'no-lease').expect(201);

        expect(response.body.call._id).toBe(resourceId.toHexString());
        expect(await countCalls(app)).toBe(1);
      });

      it('answers the call that attempt did record before it died, as a replay', async () => {
        const user = testUser();
        const first = await initiate(user, { phoneNumber: '+14165550199' }, 'recorded').expect(201);
        const [claim] = await keys().find().toArray();
        await leases().insertOne({ _id: claim._id, token: 'first-attempt', expiresAt: new Date(Date.now() - 1) });

        const retried = await initiate(user, { phoneNumber: '+14165550199' }, 'recorded').expect(201);

        expect(retried.headers['idempotent-replayed']).toBe('true');
        expect(retried.body.call._id).toBe(first.body.call._id);
        expect(await countCalls(app)).toBe(1);
      });

      it('keeps a claim that a retry failed to carry out, so a later retry still makes that same call', async () => {
        const user = testUser();
        const contactId = await insertContact(app, { organizationId: user.organizationId });
        const resourceId = await pendingClaim(user, { contactId }, 'taken-over', null);
        await app.db.collection('contacts').deleteMany({});

        await initiate(user, { contactId }, 'taken-over').expect(404);
        await insertContact(app, { _id: contactId, organizationId: user.organizationId });
        const other = await initiate(user, { phoneNumber: '+14165550123' }, 'taken-over').expect(422);
        const retried = await initiate(user, { contactId }, 'taken-over').expect(201);

        expect(other.body.message).toBe('This Idempotency-Key was already used with a different request body');
        expect(retried.body.call._id).toBe(resourceId.toHexString());
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

describe(`POST ${INITIATE} with an expired Idempotency-Key`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('are purged in the background with the leases dead attempts left, while live keys stay', async () => {
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
    const leases = app.db.collection<{ _id: string; token: string; expiresAt: Date }>('idempotency_leases');
    await leases.insertMany([
      { _id: 'left-by-a-dead-process', token: 't', expiresAt: new Date(now - 5 * 60_000) },
      { _id: 'held', token: 't', expiresAt: new Date(now + 1000) },
    ]);
    const user = testUser();

    await request(app.url).post(INITIATE).set('Authorization', user.bearer).set('Idempotency-Key', 'trigger').send({ phoneNumber: '+14165550199' }).expect(201);

    let left: string[] = [];
    let leasesLeft: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      left = (await stored.find().toArray()).map((document) => document._id).sort();
      leasesLeft = (await leases.find().toArray()).map((lease) => lease._id);
      if (!left.includes('expired-1') && !left.includes('expired-2') && leasesLeft.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(left).toHaveLength(2);
    expect(left).toContain('live');
    expect(left).not.toContain('expired-1');
    expect(left).not.toContain('expired-2');
    expect(leasesLeft).toEqual(['held']);
  });
});
