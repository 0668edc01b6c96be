import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';
import { expectContract } from './support/contract';

const INITIATE = '/api/calls/sdk/initiate';
const CONTACTS = '/api/contacts';
const CALLS = '/api/calls';

const unprocessable = (message: string) => ({ success: false, statusCode: 422, error: 'Unprocessable Entity', message });
const notInAnyPlan = (number: string) => unprocessable(`${number} is not a number in any country's numbering plan`);
const blocked = (number: string, type: string) => unprocessable(`${number} is a ${type} number; the service does not call those (BLOCKED_NUMBER_TYPES)`);

// Found by Schemathesis run with its own seed and none of the project's hooks: the contract's pattern
// admits `+10` and `+10----`, which the service refused with 400 on each of these operations.
describe('Phone numbers the contract admits', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  afterEach(() => app.clean());

  describe('POST /api/contacts', () => {
    it.each([
      ['+10', '+10'],
      ['+10----', '+10'],
      ['+1 555 555 5555', '+15555555555'],
    ])('stores %s, which no numbering plan knows, as %s', async (typed, stored) => {
      const response = await request(app.url)
        .post(CONTACTS)
        .set('Authorization', testUser().bearer)
        .send({ firstName: 'Ada', phoneNumber: typed, phoneNumbers: [typed] })
        .expect(201);

      expectContract('post', CONTACTS, response);
      expect(response.body.contact).toMatchObject({ phoneNumber: stored, phoneNumbers: [stored] });
    });
  });

  describe('GET /api/calls?phoneNumber=', () => {
    it.each(['+10', '+10----', ' 10'])('finds no calls for %s, rather than refusing it', async (typed) => {
      const response = await request(app.url).get(CALLS).query({ phoneNumber: typed }).set('Authorization', testUser().bearer).expect(200);

      expectContract('get', CALLS, response);
      expect(response.body.calls).toEqual([]);
    });
  });

  describe('POST /api/calls/sdk/initiate', () => {
    it.each([
      ['+10', '+10'],
      ['+10----', '+10'],
      ['+1 555 555 5555', '+15555555555'],
    ])('answers %s, which no country uses, with the documented 422', async (typed, number) => {
      const response = await request(app.url).post(INITIATE).set('Authorization', testUser().bearer).send({ phoneNumber: typed }).expect(422);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual(notInAnyPlan(number));
      expect(await app.db.collection('calls').countDocuments()).toBe(0);
    });
  });
});

// Toll fraud: a stolen token calling premium-rate numbers that its thief is paid for.
describe('Costly numbers (BLOCKED_NUMBER_TYPES)', () => {
  describe('by default', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app.stop());
    afterEach(() => app.clean());

    it.each([
      ['a US premium-rate number', '+1 900 234 5678', '+19002345678', 'premium-rate'],
      ['a UK premium-rate number', '+44 909 879 0000', '+449098790000', 'premium-rate'],
      ['a French shared-cost number', '+33 810 12 34 56', '+33810123456', 'shared-cost'],
    ])('refuses to call %s with 422', async (_label, typed, number, type) => {
      const response = await request(app.url).post(INITIATE).set('Authorization', testUser().bearer).send({ phoneNumber: typed }).expect(422);

      expectContract('post', INITIATE, response);
      expect(response.body).toEqual(blocked(number, type));
      expect(await app.db.collection('calls').countDocuments()).toBe(0);
    });

    it('lets a contact keep a premium-rate number, and refuses to call it', async () => {
      const user = testUser();
      const created = await request(app.url).post(CONTACTS).set('Authorization', user.bearer).send({ firstName: 'Ada', phoneNumber: '+19002345678' }).expect(201);

      const response = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ contactId: created.body.contact._id }).expect(422);

      expect(response.body).toEqual(blocked('+19002345678', 'premium-rate'));
      expect(await app.db.collection('calls').countDocuments()).toBe(0);
    });

    it('still calls toll-free, mobile and ordinary numbers', async () => {
      const user = testUser();
      for (const phoneNumber of ['+18002345678', '+33612345678', '+14165550199']) {
        await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber }).expect(201);
      }
    });
  });

  describe('with BLOCKED_NUMBER_TYPES=none', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ BLOCKED_NUMBER_TYPES: 'none' });
    });
    afterAll(() => app.stop());

    it('calls a premium-rate number', async () => {
      await request(app.url).post(INITIATE).set('Authorization', testUser().bearer).send({ phoneNumber: '+19002345678' }).expect(201);
    });
  });

  describe('with BLOCKED_NUMBER_TYPES=TOLL_FREE', () => {
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({ BLOCKED_NUMBER_TYPES: 'TOLL_FREE' });
    });
    afterAll(() => app.stop());

    it('refuses a toll-free number and calls a premium-rate one', async () => {
      const user = testUser();
      const response = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+18002345678' }).expect(422);
      await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+19002345678' }).expect(201);

      expect(response.body).toEqual(blocked('+18002345678', 'toll-free'));
    });
  });
});
