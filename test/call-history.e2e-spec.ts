import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { CallSeed, insertCall, insertCalls } from './support/factories';

const CALLS = '/api/calls';
const CALL = '/api/calls/{id}';
const INITIATE = '/api/calls/sdk/initiate';

const minutesAgo = (minutes: number): Date => new Date(Date.now() - minutes * 60_000);

describe(`GET ${CALLS} and GET ${CALL}`, () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());
  beforeEach(() => app.clean());

  const get = (user: TestUser | null, path: string) => {
    const call = request(app.url).get(path);
    return user ? call.set('Authorization', user.bearer) : call;
  };
  const list = (user: TestUser, query: string | Record<string, unknown> = {}) => get(user, CALLS).query(query);
  const ids = (response: request.Response): string[] => response.body.calls.map((call: { _id: string }) => call._id);

  /** Seeds calls one minute apart, the first given the oldest; answers their ids newest first. */
  async function seedCalls(seeds: CallSeed[]): Promise<string[]> {
    const inserted: string[] = [];
    for (const [index, seed] of seeds.entries()) {
      inserted.push(await insertCall(app, { startTime: minutesAgo(seeds.length - index), ...seed }));
    }
    return inserted.reverse();
  }

  describe(`GET ${CALL}`, () => {
    it('answers the call exactly as initiate recorded it', async () => {
      const user = testUser();
      const created = await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);

      const response = await get(user, `${CALLS}/${created.body.call._id}`).expect(200);

      expectContract('get', CALL, response);
      expect(response.body).toEqual({ success: true, call: created.body.call });
    });

    it('accepts the id in upper case', async () => {
      const user = testUser();
      const id = await insertCall(app, { organizationId: user.organizationId });

      const response = await get(user, `${CALLS}/${id.toUpperCase()}`).expect(200);

      expect(response.body.call._id).toBe(id);
    });

    it('answers 404 for an id that does not exist', async () => {
      const response = await get(testUser(), `${CALLS}/${newId()}`).expect(404);

      expectContract('get', CALL, response);
      expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Call not found' });
    });

    it('answers 404 for another organization\'s call, exactly as for a missing one', async () => {
      const owner = testUser();
      const id = await insertCall(app, { organizationId: owner.organizationId });

      const response = await get(testUser(), `${CALLS}/${id}`).expect(404);

      expectContract('get', CALL, response);
      expect(response.body).toEqual({ success: false, statusCode: 404, error: 'Not Found', message: 'Call not found' });
    });

    it.each([
      ['not hex', 'zzzzzzzzzzzzzzzzzzzzzzzz'],
      ['too short', '64f0a1b2c3d4e5f6a7b8c9d'],
      ['too long', '64f0a1b2c3d4e5f6a7b8c9d00'],
      ['a word', 'latest'],
    ])('answers 400 for an id that is %s', async (_label, id) => {
      const response = await get(testUser(), `${CALLS}/${id}`).expect(400);

      expectContract('get', CALL, response);
      expect(response.body).toEqual({ success: false, statusCode: 400, error: 'Bad Request', message: 'id must be a 24-character hexadecimal id' });
    });

    it('requires a bearer token', async () => {
      const response = await get(null, `${CALLS}/${newId()}`).expect(401);

      expectContract('get', CALL, response);
      expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token' });
    });
  });

  describe(`GET ${CALLS}`, () => {
    it('lists the organization\'s calls newest first, with no next page', async () => {
      const user = testUser();
      const newestFirst = await seedCalls([{ organizationId: user.organizationId }, { organizationId: user.organizationId }, { organizationId: user.organizationId }]);

      const response = await list(user).expect(200);

      expectContract('get', CALLS, response);
      expect(response.body).toEqual({ success: true, calls: expect.any(Array), nextCursor: null });
      expect(ids(response)).toEqual(newestFirst);
      expect(response.body.calls[0]).toMatchObject({ _id: newestFirst[0], organizationId: user.organizationId, endReason: null });
    });

    it('orders calls that started at the same instant by id, newest id first', async () => {
      const user = testUser();
      const startTime = minutesAgo(1);
      const inserted = [];
      for (let i = 0; i < 4; i++) inserted.push(await insertCall(app, { organizationId: user.organizationId, startTime }));

      const response = await list(user).expect(200);

      expect(ids(response)).toEqual([...inserted].sort().reverse());
    });

    it('answers an empty page for an organization without calls', async () => {
      await insertCall(app, { organizationId: newId() });

      const response = await list(testUser()).expect(200);

      expectContract('get', CALLS, response);
      expect(response.body).toEqual({ success: true, calls: [], nextCursor: null });
    });

    describe('filters', () => {
      const user = testUser();
      const colleague = testUser(user.organizationId);
      const contactA = newId();
      const contactB = newId();
      let byName: Record<string, string>;

      beforeEach(async () => {
        const [a, b, c, d, e, f, g] = await seedCalls([
          { organizationId: user.organizationId, userId: user.userId, contactId: contactA, status: 'completed', to: '+14165550199' },
          { organizationId: user.organizationId, userId: user.userId, contactId: contactB, status: 'busy', to: '+442071838750' },
          { organizationId: user.organizationId, userId: colleague.userId, contactId: contactA, status: 'no-answer', to: '+14165550199' },
          {
            organizationId: user.organizationId,
            userId: colleague.userId,
            contactId: null,
            status: 'completed',
            direction: 'inbound',
            from: '+14165550199',
            to: '+14165550100',
          },
          { organizationId: user.organizationId, userId: user.userId, contactId: contactA, status: 'in-progress', to: '+33612345678' },
          { organizationId: user.organizationId, userId: user.userId, contactId: null, status: 'initiated', to: '+14165550199' },
          // Another organization's call matches every filter but its organization.
          { organizationId: newId(), userId: user.userId, contactId: contactA, status: 'completed', to: '+14165550199' },
        ]);
        byName = { a, b, c, d, e, f, g };
      });

      const names = (response: request.Response): string => {
        const byId = Object.fromEntries(Object.entries(byName).map(([name, id]) => [id, name]));
        return ids(response).map((id) => byId[id]).join('');
      };

      it.each<[string, Record<string, unknown> | string, string]>([
        ['none: every call of the organization, newest first', {}, 'bcdefg'],
        ['contactId', { contactId: contactA }, 'ceg'],
        ['contactId in upper case', { contactId: contactA.toUpperCase() }, 'ceg'],
        ['userId', { userId: colleague.userId }, 'de'],
        ['one status', { status: 'completed' }, 'dg'],
        ['several statuses, repeated', 'status=busy&status=no-answer&status=initiated', 'bef'],
        ['direction', { direction: 'inbound' }, 'd'],
        ['phoneNumber, matching the called number or the caller', { phoneNumber: '+14165550199' }, 'bdeg'],
        ['phoneNumber typed with separators, normalised', { phoneNumber: '+1 (416) 555-0199' }, 'bdeg'],
        ['phoneNumber with an unencoded +', 'phoneNumber=+14165550199', 'bdeg'],
        ['contactId and status', { contactId: contactA, status: 'completed' }, 'g'],
        ['userId and several statuses', `userId=${user.userId}&status=completed&status=in-progress`, 'cg'],
        ['phoneNumber, status and direction', { phoneNumber: '+14165550199', status: 'completed', direction: 'outbound' }, 'g'],
        ['a filter nothing matches', { contactId: contactB, status: 'completed' }, ''],
      ])('%s', async (_label, query, expected) => {
        const response = await list(user, query).expect(200);

        expectContract('get', CALLS, response);
        expect(names(response)).toBe(expected);
      });

      it('since is inclusive and until exclusive, on startTime', async () => {
        const startOf = async (name: string): Promise<string> =>
          (await get(user, `${CALLS}/${byName[name]}`).expect(200)).body.call.startTime as string;
        const since = await startOf('f');
        const until = await startOf('c');

        const range = await list(user, { since, until }).expect(200);
        const sinceOnly = await list(user, { since }).expect(200);
        const untilOnly = await list(user, { until, userId: user.userId }).expect(200);
        const withOffset = await list(user, { since: new Date(Date.parse(since)).toISOString().replace('Z', '+00:00') }).expect(200);
        const empty = await list(user, { since, until: since }).expect(200);

        expectContract('get', CALLS, range);
        expect(names(range)).toBe('def');
        expect(names(sinceOnly)).toBe('bcdef');
        expect(names(untilOnly)).toBe('fg');
        expect(names(withOffset)).toBe('bcdef');
        expect(names(empty)).toBe('');
      });

      it('never lists another organization\'s calls, whatever the filters', async () => {
        const stranger = testUser();

        const all = await list(stranger).expect(200);
        const filtered = await list(stranger, { contactId: contactA, userId: user.userId, phoneNumber: '+14165550199' }).expect(200);

        expect(all.body.calls).toEqual([]);
        expect(filtered.body.calls).toEqual([]);
      });

      it('refuses an organizationId in the query instead of trusting it', async () => {
        const response = await list(testUser(), { organizationId: user.organizationId }).expect(400);

        expectContract('get', CALLS, response);
        expect(response.body.details).toEqual([{ field: 'organizationId', message: 'property organizationId should not exist' }]);
      });
    });

    describe('pages', () => {
      it('pages through every call once, newest first, while new calls arrive between pages', async () => {
        const user = testUser();
        const existing = await seedCalls(Array.from({ length: 7 }, () => ({ organizationId: user.organizationId })));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;

        do {
          const response: request.Response = await list(user, cursor ? { limit: 3, cursor } : { limit: 3 }).expect(200);
          expectContract('get', CALLS, response);
          seen.push(...ids(response));
          cursor = response.body.nextCursor;
          pages++;
          // A call placed now is newer than any page: it belongs on a fresh first page, not this walk.
          await request(app.url).post(INITIATE).set('Authorization', user.bearer).send({ phoneNumber: '+14165550199' }).expect(201);
          await insertCall(app, { organizationId: user.organizationId });
        } while (cursor);

        expect(pages).toBe(3);
        expect(seen).toEqual(existing);
        const fresh = await list(user, { limit: 100 }).expect(200);
        expect(fresh.body.calls).toHaveLength(7 + 2 * 3);
        expect(ids(fresh).slice(6)).toEqual(existing);
      });

      it('pages through calls that started at the same instant without repeating or skipping one', async () => {
        const user = testUser();
        const startTime = minutesAgo(5);
        const inserted = [];
        for (let i = 0; i < 5; i++) inserted.push(await insertCall(app, { organizationId: user.organizationId, startTime }));
        const seen: string[] = [];
        let cursor: string | null = null;

        do {
          const response: request.Response = await list(user, cursor ? { limit: 2, cursor } : { limit: 2 }).expect(200);
          seen.push(...ids(response));
          cursor = response.body.nextCursor;
        } while (cursor);

        expect(seen).toEqual([...inserted].sort().reverse());
      });

      it('keeps the filters across pages', async () => {
        const user = testUser();
        const calls = await seedCalls(
          Array.from({ length: 6 }, (_, i) => ({ organizationId: user.organizationId, status: i % 2 ? 'completed' : 'busy' })),
        );

        const first = await list(user, { status: 'completed', limit: 2 }).expect(200);
        const second = await list(user, { status: 'completed', limit: 2, cursor: first.body.nextCursor }).expect(200);

        expect([...ids(first), ...ids(second)]).toEqual(calls.filter((_, i) => i % 2 === 0));
        expect(second.body.nextCursor).toBeNull();
      });

      it('gives 20 calls a page by default and at most 100', async () => {
        const user = testUser();
        await insertCalls(
          app,
          Array.from({ length: 101 }, (_, i) => ({ organizationId: user.organizationId, startTime: minutesAgo(i + 1) })),
        );

        const byDefault = await list(user).expect(200);
        const most = await list(user, { limit: 100 }).expect(200);
        const one = await list(user, { limit: 1 }).expect(200);

        expect(byDefault.body.calls).toHaveLength(20);
        expect(byDefault.body.nextCursor).toEqual(expect.any(String));
        expect(most.body.calls).toHaveLength(100);
        expect(one.body.calls).toHaveLength(1);
        const rest = await list(user, { limit: 100, cursor: most.body.nextCursor }).expect(200);
        expect(rest.body.calls).toHaveLength(1);
        expect(rest.body.nextCursor).toBeNull();
      });
    });

    // Found by the contract fuzzer: openapi.yaml allowed any cursor up to 64 characters. It now
    // publishes the form, and a cursor of that form pages from where it points, issued or not.
    it('pages from any cursor of the published form', async () => {
      const user = testUser();
      await insertCalls(app, [{ organizationId: user.organizationId, startTime: minutesAgo(1) }]);

      const beforeAll = await list(user, { cursor: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' }).expect(200);
      const afterAll = await list(user, { cursor: `AA${'_'.repeat(24)}w` }).expect(200);

      expectContract('get', CALLS, beforeAll);
      expect(beforeAll.body.calls).toEqual([]);
      expect(afterAll.body.calls).toHaveLength(1);
    });

    // Found by the contract fuzzer: valid RFC 3339 date-times that the service refused with 400.
    it.each([
      ['a year before 100', { until: '0056-10-12T21:19:16+14:08' }],
      ['a leap second', { since: '2016-12-31T23:59:60Z' }],
      ['a fraction of ten digits', { since: '2026-11-27T10:00:00.1234567890Z' }],
    ])('takes %s as a time', async (_label, query) => {
      const response = await list(testUser(), query).expect(200);

      expectContract('get', CALLS, response);
    });

    describe('bad queries are a 400 in the one error shape', () => {
      it.each<[string, Record<string, unknown> | string, string]>([
        ['limit 0', { limit: 0 }, 'limit must not be less than 1'],
        ['limit 101', { limit: 101 }, 'limit must not be greater than 100'],
        ['a fractional limit', { limit: '1.5' }, 'limit must be an integer number'],
        ['a word for limit', { limit: 'all' }, 'limit must be an integer number'],
        ['a cursor this service did not issue', { cursor: 'bm90LWEtY3Vyc29y' }, 'cursor is not a cursor this service issued'],
        ['a contacts cursor', { cursor: 'ZPChssPU5fanuMnQ' }, 'cursor is not a cursor this service issued'],
        ['a cursor that is not base64url', { cursor: 'a+b/c=' }, 'cursor is not a cursor this service issued'],
        ['an over-long cursor', { cursor: 'A'.repeat(65) }, 'cursor is not a cursor this service issued'],
        ['a cursor of the right form whose time no date can hold', { cursor: `AP${'A'.repeat(25)}` }, 'cursor is not a cursor this service issued'],
        ['since that is not a date-time', { since: 'yesterday' }, 'since must be an ISO-8601 date-time'],
        ['since as a date alone', { since: '2026-11-27' }, 'since must be an ISO-8601 date-time'],
        ['until without an offset', { until: '2026-11-27T10:00:00' }, 'until must be an ISO-8601 date-time'],
        ['until on a day that does not exist', { until: '2026-02-30T10:00:00Z' }, 'until must be an ISO-8601 date-time'],
        ['until before since', { since: '2026-11-27T10:00:00Z', until: '2026-11-27T09:59:59Z' }, 'until must not be before since'],
        ['an unknown status', { status: 'ended' }, 'each value in status must be one of the following values'],
        ['statuses comma-separated', { status: 'completed,busy' }, 'each value in status must be one of the following values'],
        ['too many statuses', Array.from({ length: 9 }, () => 'status=busy').join('&'), 'status must contain no more than 8 elements'],
        ['an unknown direction', { direction: 'sideways' }, 'direction must be one of the following values: outbound, inbound'],
        ['a contactId that is not an id', { contactId: '123' }, 'contactId must be a 24-character hexadecimal id'],
        ['a userId that is not an id', { userId: 'me' }, 'userId must be a 24-character hexadecimal id'],
        ['a phoneNumber that is not a number', { phoneNumber: '4165550199' }, 'phoneNumber must be a valid phone number in E.164'],
        ['an operator in a filter', 'contactId[$ne]=x', 'contactId'],
      ])('%s', async (_label, query, message) => {
        const response = await list(testUser(), query).expect(400);

        expectContract('get', CALLS, response);
        expect(response.body).toMatchObject({ success: false, statusCode: 400, error: 'Bad Request' });
        expect(response.body.message).toContain(message);
      });
    });

    it('requires a bearer token', async () => {
      const response = await get(null, CALLS).expect(401);

      expectContract('get', CALLS, response);
      expect(response.body).toEqual({ success: false, statusCode: 401, error: 'Unauthorized', message: 'Missing bearer token' });
    });

    it('has an index for each filter the dialer combines with the newest-first order', async () => {
      const expected = [
        { organizationId: 1, startTime: -1, _id: -1 },
        { organizationId: 1, contactId: 1, startTime: -1, _id: -1 },
        { organizationId: 1, userId: 1, startTime: -1, _id: -1 },
        { organizationId: 1, status: 1, startTime: -1, _id: -1 },
        { organizationId: 1, to: 1, startTime: -1, _id: -1 },
        { organizationId: 1, from: 1, startTime: -1, _id: -1 },
        { provider: 1, providerCallId: 1 },
      ];

      // Mongoose builds indexes in the background once the app is up.
      let keys: unknown[] = [];
      for (let attempt = 0; attempt < 50 && !expected.every((key) => keys.some((found) => JSON.stringify(found) === JSON.stringify(key))); attempt++) {
        keys = (await app.db.collection('calls').indexes()).map((index) => index.key);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      expect(keys).toEqual(expect.arrayContaining(expected));
    });
  });
});
