import request from 'supertest';
import { Types } from 'mongoose';
import { RunningApp, startApp, TEST_CALLER_ID } from './support/app';
import { adminUser, newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';

const NUMBERS = '/api/phone-numbers';
const NUMBER = '/api/phone-numbers/{id}';
const INITIATE = '/api/calls/sdk/initiate';

describe(`${NUMBERS}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const create = (user: TestUser, body: object) => request(app.url).post(NUMBERS).set('Authorization', user.bearer).send(body);
  const update = (user: TestUser, id: string, body: object) => request(app.url).patch(`${NUMBERS}/${id}`).set('Authorization', user.bearer).send(body);
  const list = (user: TestUser) => request(app.url).get(NUMBERS).set('Authorization', user.bearer);
  const initiate = (user: TestUser) => request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' });

  describe(`POST ${NUMBERS}`, () => {
    it('adds a normalised number for an admin', async () => {
      const admin = adminUser();
      const agent = newId();

      const response = await create(admin, { number: '+1 (416) 555-0111', label: ' Sales ', isDefault: true, userIds: [agent.toUpperCase()] }).expect(201);

      expectContract('post', NUMBERS, response);
      expect(response.body).toEqual({
        success: true,
        phoneNumber: {
          _id: expect.stringMatching(/^[0-9a-f]{24}$/),
          organizationId: admin.organizationId,
          number: '+14165550111',
          label: 'Sales',
          isDefault: true,
          userIds: [agent],
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
    });

    it('answers 403 for a user without the admin role, and writes nothing', async () => {
      const response = await create(testUser(), { number: '+14165550111' }).expect(403);

      expectContract('post', NUMBERS, response);
      expect(response.body).toEqual({ success: false, statusCode: 403, error: 'Forbidden', message: 'Only a user with the admin role may do this' });
      expect(await app.db.collection('phone_numbers').countDocuments()).toBe(0);
    });

    it('answers 409 for a number the organization already has, but lets another organization add it', async () => {
      const admin = adminUser();
      await create(admin, { number: '+14165550111' }).expect(201);

      const response = await create(admin, { number: '+1 416 555 0111' }).expect(409);

      expectContract('post', NUMBERS, response);
      expect(response.body).toMatchObject({ statusCode: 409, message: 'The organization already has this number' });
      await create(adminUser(), { number: '+14165550111' }).expect(201);
    });

    it.each([
      ['no number', {}, 'number'],
      ['a number that is not E.164', { number: '4165550111' }, 'number'],
      ['a user id that is not an id', { number: '+14165550111', userIds: ['nope'] }, 'userIds'],
      ['isDefault null', { number: '+14165550111', isDefault: null }, 'isDefault'],
      ['an organizationId', { number: '+14165550111', organizationId: newId() }, 'organizationId'],
    ])('answers 400 for %s', async (_label, body, field) => {
      const response = await create(adminUser(), body).expect(400);

      expectContract('post', NUMBERS, response);
      expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringContaining(field) })]));
    });

    it('requires a bearer token', async () => {
      const response = await request(app.url).post(NUMBERS).send({ number: '+14165550111' }).expect(401);

      expectContract('post', NUMBERS, response);
    });
  });

  describe(`GET ${NUMBERS}`, () => {
    it('lists the organization\'s numbers, one of them default, to any of its users', async () => {
      const admin = adminUser();
      await create(admin, { number: '+14165550122', isDefault: true }).expect(201);
      await create(admin, { number: '+14165550111' }).expect(201);
      await create(adminUser(), { number: '+14165550133' }).expect(201);

      const response = await list(testUser(admin.organizationId)).expect(200);

      expectContract('get', NUMBERS, response);
      expect(response.body.phoneNumbers.map((n: { number: string; isDefault: boolean }) => [n.number, n.isDefault])).toEqual([
        ['+14165550111', false],
        ['+14165550122', true],
      ]);
    });

    it('answers every number of a small organization on one page, with no next cursor', async () => {
      const admin = adminUser();
      await create(admin, { number: '+14165550111' }).expect(201);

      const response = await list(admin).expect(200);

      expectContract('get', NUMBERS, response);
      expect(response.body).toEqual({ success: true, phoneNumbers: [expect.objectContaining({ number: '+14165550111' })], nextCursor: null });
    });

    it('pages in E.164 order with limit and cursor, never repeating or skipping a number', async () => {
      const admin = adminUser();
      for (const number of ['+442071838751', '+14165550122', '+14165550111', '+33142685300', '+14165550133']) await create(admin, { number }).expect(201);
      await create(adminUser(), { number: '+14165550144' }).expect(201);
      const page = (cursor?: string) => request(app.url).get(NUMBERS).query({ limit: 2, ...(cursor ? { cursor } : {}) }).set('Authorization', admin.bearer);

      const first = await page().expect(200);
      const second = await page(first.body.nextCursor).expect(200);
      // A number added behind the cursor meanwhile is not on a later page; one ahead of it is.
      await create(admin, { number: '+14165550100' }).expect(201);
      await create(admin, { number: '+39061234567' }).expect(201);
      const last = await page(second.body.nextCursor).expect(200);

      for (const response of [first, second, last]) expectContract('get', NUMBERS, response);
      const numbers = (response: request.Response) => response.body.phoneNumbers.map((n: { number: string }) => n.number);
      expect([numbers(first), numbers(second), numbers(last)]).toEqual([
        ['+14165550111', '+14165550122'],
        ['+14165550133', '+33142685300'],
        ['+39061234567', '+442071838751'],
      ]);
      expect(first.body.nextCursor).toMatch(/^[A-Za-z0-9_-]{3,20}$/);
      expect(second.body.nextCursor).toMatch(/^[A-Za-z0-9_-]{3,20}$/);
      expect(last.body.nextCursor).toBeNull();
    });

    it('takes any cursor of the published form as a place in the order, as the contract says', async () => {
      const admin = adminUser();
      await create(admin, { number: '+14165550111' }).expect(201);
      await create(admin, { number: '+442071838751' }).expect(201);

      const response = await request(app.url).get(NUMBERS).query({ cursor: Buffer.from('20').toString('base64url') }).set('Authorization', admin.bearer).expect(200);

      expectContract('get', NUMBERS, response);
      expect(response.body.phoneNumbers.map((n: { number: string }) => n.number)).toEqual(['+442071838751']);
    });

    it.each([
      ['a limit of 0', { limit: '0' }, 'limit must not be less than 1'],
      ['a limit above 100', { limit: '101' }, 'limit must not be greater than 100'],
      ['a cursor it did not issue', { cursor: 'not-a-cursor!' }, 'cursor is not a cursor this service issued'],
    ])('answers 400 for %s', async (_label, query, message) => {
      const response = await request(app.url).get(NUMBERS).query(query).set('Authorization', adminUser().bearer).expect(400);

      expectContract('get', NUMBERS, response);
      expect(response.body.message).toBe(message);
    });

    it('requires a bearer token', async () => {
      const response = await request(app.url).get(NUMBERS).expect(401);

      expectContract('get', NUMBERS, response);
    });
  });

  describe(`PATCH ${NUMBER}`, () => {
    it('moves the default mark: only one number is ever the default', async () => {
      const admin = adminUser();
      const first = (await create(admin, { number: '+14165550111', isDefault: true })).body.phoneNumber._id;
      const second = (await create(admin, { number: '+14165550122' })).body.phoneNumber._id;

      const response = await update(admin, second, { isDefault: true }).expect(200);

      expectContract('patch', NUMBER, response);
      expect(response.body.phoneNumber).toMatchObject({ _id: second, isDefault: true });
      const numbers = (await list(admin)).body.phoneNumbers;
      expect(numbers.filter((n: { isDefault: boolean }) => n.isDefault).map((n: { _id: string }) => n._id)).toEqual([second]);
      expect(numbers.find((n: { _id: string }) => n._id === first).isDefault).toBe(false);
    });

    it('keeps one default when many admins set different defaults at once', async () => {
      const admin = adminUser();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await create(admin, { number: `+1416555012${i}` })).body.phoneNumber._id);

      await Promise.all(ids.map((id) => update(admin, id, { isDefault: true }).expect(200)));

      const defaults = (await list(admin)).body.phoneNumbers.filter((n: { isDefault: boolean }) => n.isDefault);
      expect(defaults).toHaveLength(1);
    });

    it('assigns users to one number at a time, and changes the label and the number', async () => {
      const admin = adminUser();
      const agent = newId();
      const first = (await create(admin, { number: '+14165550111', userIds: [agent] })).body.phoneNumber._id;
      const second = (await create(admin, { number: '+14165550122' })).body.phoneNumber._id;

      const response = await update(admin, second, { userIds: [agent], label: 'Support', number: '+14165550133' }).expect(200);

      expect(response.body.phoneNumber).toMatchObject({ userIds: [agent], label: 'Support', number: '+14165550133' });
      const numbers = (await list(admin)).body.phoneNumbers;
      expect(numbers.find((n: { _id: string }) => n._id === first).userIds).toEqual([]);
    });

    it('clears the default with isDefault false', async () => {
      const admin = adminUser();
      const id = (await create(admin, { number: '+14165550111', isDefault: true })).body.phoneNumber._id;

      const response = await update(admin, id, { isDefault: false }).expect(200);

      expect(response.body.phoneNumber.isDefault).toBe(false);
    });

    it('answers 409 when the new number is another of the organization\'s numbers', async () => {
      const admin = adminUser();
      await create(admin, { number: '+14165550111' });
      const id = (await create(admin, { number: '+14165550122' })).body.phoneNumber._id;

      const response = await update(admin, id, { number: '+14165550111' }).expect(409);

      expectContract('patch', NUMBER, response);
    });

    it('answers 404 for another organization\'s number and 403 for a non-admin', async () => {
      const owner = adminUser();
      const id = (await create(owner, { number: '+14165550111' })).body.phoneNumber._id;

      expectContract('patch', NUMBER, await update(adminUser(), id, { label: 'Mine' }).expect(404));
      expectContract('patch', NUMBER, await update(testUser(owner.organizationId), id, { label: 'Mine' }).expect(403));
      expect((await list(owner)).body.phoneNumbers[0].label).toBeNull();
    });

    it.each([
      ['number null', { number: null }],
      ['userIds null', { userIds: null }],
      ['an unknown property', { extra: 1 }],
    ])('answers 400 for %s', async (_label, body) => {
      const admin = adminUser();
      const id = (await create(admin, { number: '+14165550111' })).body.phoneNumber._id;

      expectContract('patch', NUMBER, await update(admin, id, body).expect(400));
    });
  });

  describe(`DELETE ${NUMBER}`, () => {
    it('removes the number and its default mark', async () => {
      const admin = adminUser();
      const id = (await create(admin, { number: '+14165550111', isDefault: true })).body.phoneNumber._id;

      const response = await request(app.url).delete(`${NUMBERS}/${id}`).set('Authorization', admin.bearer).expect(204);

      expectContract('delete', NUMBER, response);
      expect((await list(admin)).body.phoneNumbers).toEqual([]);
      expect(await app.db.collection('phone_number_defaults').findOne({ _id: new Types.ObjectId(admin.organizationId) })).toMatchObject({ phoneNumberId: null });
    });

    it('answers 403 for a non-admin, 404 for another organization\'s number, 400 for a bad id', async () => {
      const admin = adminUser();
      const id = (await create(admin, { number: '+14165550111' })).body.phoneNumber._id;

      expectContract('delete', NUMBER, await request(app.url).delete(`${NUMBERS}/${id}`).set('Authorization', testUser(admin.organizationId).bearer).expect(403));
      expectContract('delete', NUMBER, await request(app.url).delete(`${NUMBERS}/${id}`).set('Authorization', adminUser().bearer).expect(404));
      expectContract('delete', NUMBER, await request(app.url).delete(`${NUMBERS}/nope`).set('Authorization', admin.bearer).expect(400));
      expect((await list(admin)).body.phoneNumbers).toHaveLength(1);
    });
  });

  describe('writes by admins at the same time', () => {
    const ROUNDS = 5;
    const numbersOf = async (admin: TestUser) =>
      (await list(admin).expect(200)).body.phoneNumbers as { _id: string; number: string; label: string | null; isDefault: boolean; userIds: string[] }[];

    it('lose no change: one admin relabelling a number while another assigns its users keeps both', async () => {
      const admin = adminUser();
      const other = adminUser(admin.organizationId);
      const id = (await create(admin, { number: '+14165550111' }).expect(201)).body.phoneNumber._id;

      for (let round = 0; round < ROUNDS; round++) {
        const agents = [newId(), newId()];
        await Promise.all([
          update(admin, id, { userIds: agents }).expect(200),
          ...Array.from({ length: 6 }, (_, index) => update(other, id, { label: `Round ${round}.${index}` }).expect(200)),
        ]);

        const [stored] = await numbersOf(admin);
        expect({ round, userIds: stored.userIds }).toEqual({ round, userIds: agents });
        expect(stored.label).toMatch(new RegExp(`^Round ${round}\\.`));
      }
    });

    it('keep the default that was set when another admin clears the old one', async () => {
      const admin = adminUser();
      const other = adminUser(admin.organizationId);
      const first = (await create(admin, { number: '+14165550111' }).expect(201)).body.phoneNumber._id;
      const second = (await create(admin, { number: '+14165550122' }).expect(201)).body.phoneNumber._id;

      for (let round = 0; round < ROUNDS; round++) {
        await update(admin, first, { isDefault: true }).expect(200);

        // In either order the outcome is the second number as the default: clearing only clears the first.
        await Promise.all([update(other, first, { isDefault: false }).expect(200), update(admin, second, { isDefault: true }).expect(200)]);

        const defaults = (await numbersOf(admin)).filter((phoneNumber) => phoneNumber.isDefault).map((phoneNumber) => phoneNumber._id);
        expect({ round, defaults }).toEqual({ round, defaults: [second] });
      }
    });

    it('leave a user on exactly one number when two admins assign them to different numbers', async () => {
      const admin = adminUser();
      const other = adminUser(admin.organizationId);
      const first = (await create(admin, { number: '+14165550111' }).expect(201)).body.phoneNumber._id;
      const second = (await create(admin, { number: '+14165550122' }).expect(201)).body.phoneNumber._id;

      for (let round = 0; round < ROUNDS; round++) {
        const agent = newId();
        await Promise.all([update(admin, first, { userIds: [agent] }).expect(200), update(other, second, { userIds: [agent] }).expect(200)]);

        const holding = (await numbersOf(admin)).filter((phoneNumber) => phoneNumber.userIds.includes(agent));
        expect({ round, holding: holding.length }).toEqual({ round, holding: 1 });
      }
    });

    it('never bring back a number another admin deleted, nor leave the default on it', async () => {
      const admin = adminUser();
      const other = adminUser(admin.organizationId);

      for (let round = 0; round < ROUNDS; round++) {
        const id = (await create(admin, { number: `+1416555012${round}` }).expect(201)).body.phoneNumber._id;

        const [patched] = await Promise.all([
          update(admin, id, { isDefault: true, label: 'Main' }),
          request(app.url).delete(`${NUMBERS}/${id}`).set('Authorization', other.bearer).expect(204),
        ]);

        expect([200, 404]).toContain(patched.status);
        expect(await numbersOf(admin)).toEqual([]);
        const marker = await app.db.collection('phone_number_defaults').findOne({ _id: new Types.ObjectId(admin.organizationId) });
        expect({ round, default: marker?.phoneNumberId ?? null }).toEqual({ round, default: null });
      }
    });
  });

  describe('caller ID of a new call', () => {
    it('is the user\'s own number, else the organization\'s default, else DEFAULT_CALLER_ID', async () => {
      const admin = adminUser();
      const agent = testUser(admin.organizationId);
      const colleague = testUser(admin.organizationId);
      await create(admin, { number: '+14165550111', userIds: [agent.userId] }).expect(201);

      expect((await initiate(colleague).expect(201)).body.call).toMatchObject({ from: TEST_CALLER_ID, providerPhoneNumber: TEST_CALLER_ID });

      await create(admin, { number: '+14165550122', isDefault: true }).expect(201);

      expect((await initiate(agent).expect(201)).body.call).toMatchObject({ from: '+14165550111', providerPhoneNumber: '+14165550111' });
      expect((await initiate(colleague).expect(201)).body.call.from).toBe('+14165550122');
      expect((await initiate(testUser()).expect(201)).body.call.from).toBe(TEST_CALLER_ID);
    });
  });
});

describe('Caller ID without DEFAULT_CALLER_ID', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ DEFAULT_CALLER_ID: undefined });
  });
  afterAll(() => app.stop());

  it('uses the organization\'s default, and answers 422 for an organization with none', async () => {
    const admin = adminUser();
    await request(app.url).post(NUMBERS).set('Authorization', admin.bearer).send({ number: '+14165550122', isDefault: true }).expect(201);

    const placed = await request(app.url).post(INITIATE).set('Authorization', testUser(admin.organizationId).bearer).send({ phoneNumber: '+14165550199' }).expect(201);
    const refused = await request(app.url).post(INITIATE).set('Authorization', testUser().bearer).send({ phoneNumber: '+14165550199' }).expect(422);

    expect(placed.body.call.from).toBe('+14165550122');
    expectContract('post', INITIATE, refused);
    expect(refused.body.message).toBe('No caller ID is configured for this organization');
  });
});
