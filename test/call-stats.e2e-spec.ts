import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { adminUser, newId, TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { CallSeed, insertCalls } from './support/factories';

const STATS = '/api/calls/stats';
const SINCE = '2026-03-06T00:00:00Z';
const UNTIL = '2026-03-31T00:00:00Z';

interface ListedCall {
  _id: string;
  userId: string;
  status: string;
  outcomeId: string | null;
  startTime: string;
  answerTime: string | null;
  duration: number | null;
}

interface Group {
  key: string | null;
  calls: number;
  answered: number;
  answerRate: number;
  talkSeconds: number;
  averageTalkSeconds: number | null;
  averageRingSeconds: number | null;
  positiveOutcomes: number;
}

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The local calendar day, computed apart from the service's way (formatToParts rather than a cached en-CA format). */
function localDay(time: string, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(time)).map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The statistics counted one call at a time from what GET /api/calls answers. */
function bruteForce(calls: ListedCall[], keyOf: (call: ListedCall) => string | null, positive: Set<string>): Group[] {
  const groups = new Map<string | null, ListedCall[]>();
  for (const call of calls) groups.set(keyOf(call), [...(groups.get(keyOf(call)) ?? []), call]);
  return [...groups.entries()]
    .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
    .map(([key, members]) => {
      const answered = members.filter((call) => call.answerTime !== null || call.status === 'in-progress' || call.status === 'completed');
      const rung = members.filter((call) => call.answerTime !== null);
      const talkSeconds = members.reduce((total, call) => total + (call.duration ?? 0), 0);
      const ring = rung.reduce((total, call) => total + (Date.parse(call.answerTime!) - Date.parse(call.startTime)) / 1000, 0);
      return {
        key,
        calls: members.length,
        answered: answered.length,
        answerRate: answered.length / members.length,
        talkSeconds,
        averageTalkSeconds: answered.length === 0 ? null : talkSeconds / answered.length,
        averageRingSeconds: rung.length === 0 ? null : ring / rung.length,
        positiveOutcomes: members.filter((call) => call.outcomeId !== null && positive.has(call.outcomeId)).length,
      };
    });
}

/** Numbers equal to a rounding error: sums of fractional seconds may be added in another order. */
function expectSameGroups(actual: Group[], expected: Group[]): void {
  expect(actual.map((group) => group.key)).toEqual(expected.map((group) => group.key));
  actual.forEach((group, i) => {
    const want = expected[i];
    expect({ ...group, answerRate: 0, averageTalkSeconds: 0, averageRingSeconds: 0 }).toEqual({ ...want, answerRate: 0, averageTalkSeconds: 0, averageRingSeconds: 0 });
    expect(group.answerRate).toBeCloseTo(want.answerRate, 9);
    for (const field of ['averageTalkSeconds', 'averageRingSeconds'] as const) {
      if (want[field] === null) expect(group[field]).toBeNull();
      else expect(group[field]).toBeCloseTo(want[field]!, 6);
    }
  });
}

describe(`GET ${STATS}`, () => {
  let app: RunningApp;
  let admin: TestUser;
  let positive: Set<string>;

  beforeAll(async () => {
    app = await startApp();
    admin = adminUser();
    const org = admin.organizationId;
    const make = async (body: object) => (await request(app.url).post('/api/call-outcomes').set('Authorization', admin.bearer).send(body).expect(201)).body.outcome._id as string;
    const booked = await make({ name: 'Booked', positive: true });
    const connected = await make({ name: 'Connected', positive: true });
    const voicemail = await make({ name: 'Voicemail' });
    // An archived positive outcome still counts on the calls that have it.
    await request(app.url).patch(`/api/call-outcomes/${connected}`).set('Authorization', admin.bearer).send({ archived: true }).expect(200);
    positive = new Set([booked, connected]);

    const users = [newId(), newId(), newId()];
    const outcomes = [null, booked, connected, voicemail];
    const next = random(14);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
    const seeds: CallSeed[] = [];
    // Around the two daylight-saving changes of March 2026: New York's on the 8th at 07:00Z, Paris's on the 29th at 01:00Z.
    const around = [Date.parse('2026-03-08T07:00:00Z'), Date.parse('2026-03-29T01:00:00Z')];
    for (let i = 0; i < 400; i++) {
      const start = i < 300 ? pick(around) + Math.round((next() - 0.5) * 2 * 36 * 3_600_000) : Date.parse(SINCE) + Math.floor(next() * 25 * 86_400_000);
      const startTime = new Date(start);
      const kind = pick(['completed', 'completed', 'no-answer', 'busy', 'in-progress', 'failed-answered', 'failed', 'initiated']);
      const answered = kind === 'completed' || kind === 'in-progress' || kind === 'failed-answered';
      // Some completed calls were reported without an answer time: answered, but no ring time.
      const answerTime = answered && next() > 0.1 ? new Date(start + Math.floor(next() * 20_000)) : null;
      const duration = kind === 'completed' || kind === 'failed-answered' ? Math.floor(next() * 600) : kind === 'in-progress' || kind === 'initiated' ? null : 0;
      seeds.push({
        organizationId: org,
        userId: pick(users),
        status: kind === 'failed-answered' ? 'failed' : kind,
        startTime,
        answerTime,
        duration,
        outcomeId: pick(outcomes),
        tags: next() > 0.5 ? ['demo'] : [],
      });
    }
    // Another organization's calls, in the same hours, must count for nobody else.
    seeds.push(...Array.from({ length: 20 }, () => ({ organizationId: newId(), startTime: new Date(around[0]), status: 'completed', duration: 60 })));
    // Calls outside [since, until).
    seeds.push({ organizationId: org, startTime: new Date(Date.parse(SINCE) - 1), status: 'completed', duration: 5 });
    seeds.push({ organizationId: org, startTime: new Date(UNTIL), status: 'completed', duration: 5 });
    await insertCalls(app, seeds);
  });
  afterAll(() => app.stop());

  /** Every call GET /api/calls answers for the query, page by page. */
  async function listAll(query: Record<string, string>): Promise<ListedCall[]> {
    const calls: ListedCall[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(app.url)
        .get('/api/calls')
        .set('Authorization', admin.bearer)
        .query({ ...query, limit: '100', ...(cursor ? { cursor } : {}) })
        .expect(200);
      calls.push(...page.body.calls);
      cursor = page.body.nextCursor;
    } while (cursor);
    return calls;
  }

  const stats = (query: Record<string, string>, user: TestUser = admin) => request(app.url).get(STATS).set('Authorization', user.bearer).query(query);

  it.each([
    ['user', {}, (call: ListedCall) => call.userId],
    ['outcome', {}, (call: ListedCall) => call.outcomeId],
    ['status', {}, (call: ListedCall) => call.status],
    ['day', {}, (call: ListedCall) => localDay(call.startTime, 'UTC')],
    ['day', { timeZone: 'America/New_York' }, (call: ListedCall) => localDay(call.startTime, 'America/New_York')],
    ['day', { timeZone: 'Europe/Paris' }, (call: ListedCall) => localDay(call.startTime, 'Europe/Paris')],
    ['day', { timeZone: 'Asia/Kathmandu' }, (call: ListedCall) => localDay(call.startTime, 'Asia/Kathmandu')],
    ['status', { tag: 'demo', status: 'completed' }, (call: ListedCall) => call.status],
  ])('groups by %s %j as a brute-force count over GET /api/calls does', async (groupBy, filters, keyOf) => {
    const { timeZone, ...listFilters } = filters as Record<string, string>;
    const query: Record<string, string> = { since: SINCE, until: UNTIL, ...listFilters };

    const response = await stats({ ...query, groupBy, ...(timeZone ? { timeZone } : {}) }).expect(200);

    expectContract('get', STATS, response);
    const listed = await listAll(query);
    expect(listed.length).toBeGreaterThan(listFilters.tag ? 20 : 390);
    expect(response.body).toMatchObject({ success: true, groupBy, timeZone: timeZone ?? 'UTC' });
    expectSameGroups(response.body.groups, bruteForce(listed, keyOf, positive));
  });

  it('counts a call in the local day it started in on both sides of a daylight-saving change', async () => {
    const user = testUser();
    // New York: 2026-03-08 has 23 hours (EST −5 until 07:00Z, then EDT −4).
    const times = ['2026-03-08T04:59:59Z', '2026-03-08T05:00:00Z', '2026-03-08T06:59:00Z', '2026-03-08T07:00:00Z', '2026-03-09T03:59:59Z', '2026-03-09T04:00:00Z'];
    await insertCalls(app, times.map((time) => ({ organizationId: user.organizationId, startTime: new Date(time) })));

    const response = await stats({ since: '2026-03-07T00:00:00Z', until: '2026-03-10T00:00:00Z', groupBy: 'day', timeZone: 'America/New_York' }, user).expect(200);

    expect(response.body.groups.map((group: Group) => [group.key, group.calls])).toEqual([
      ['2026-03-07', 1],
      ['2026-03-08', 4],
      ['2026-03-09', 1],
    ]);
  });

  it.each([
    [{ since: SINCE, groupBy: 'day' }, 'until must be an ISO-8601 date-time with an offset, such as 2026-11-27T10:00:00Z'],
    [{ since: '2025-01-01T00:00:00Z', until: '2026-01-03T00:00:00Z', groupBy: 'day' }, 'until must be at most 366 days after since'],
    [{ since: SINCE, until: UNTIL, groupBy: 'week' }, 'groupBy must be one of the following values: user, day, outcome, status'],
    [{ since: SINCE, until: UNTIL, groupBy: 'day', timeZone: 'Mars/Olympus' }, 'timeZone must be an IANA time zone name, such as Europe/Paris or UTC'],
    [{ since: UNTIL, until: SINCE, groupBy: 'day' }, 'until must not be before since'],
  ])('refuses %j (400)', async (query, message) => {
    const response = await stats(query).expect(400);

    expectContract('get', STATS, response);
    expect(response.body.message).toContain(message);
  });

  it('answers 366 days, no groups for an organization without calls, and requires a token', async () => {
    const response = await stats({ since: '2025-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', groupBy: 'user' }, testUser()).expect(200);
    expect(response.body).toEqual({ success: true, groupBy: 'user', timeZone: 'UTC', groups: [] });
    await request(app.url).get(STATS).query({ since: SINCE, until: UNTIL, groupBy: 'day' }).expect(401);
  });
});

describe(`GET ${STATS} over calls recorded before the statistics existed`, () => {
  it('counts them once a start of the service has given them the fields the statistics read', async () => {
    const older = await startApp();
    let next: RunningApp | undefined;
    try {
      const user = testUser();
      const [answered, missed] = await insertCalls(older, [
        { organizationId: user.organizationId, startTime: new Date('2026-03-10T23:30:00Z'), answerTime: new Date('2026-03-10T23:30:12Z'), status: 'completed', duration: 60 },
        { organizationId: user.organizationId, startTime: new Date('2026-03-11T09:00:00Z'), status: 'no-answer', duration: 0 },
      ]);
      // As such calls were stored: none of the derived fields, and no record that they were ever derived.
      await older.db.collection('calls').updateMany({}, { $unset: { startQuarterHour: '', ringSeconds: '', tagKeys: '' } });
      await older.db.collection('service_migrations').deleteMany({});
      const query = { since: '2026-03-10T00:00:00Z', until: '2026-03-12T00:00:00Z', groupBy: 'day', timeZone: 'Europe/Paris' };
      const byDay = async (app: RunningApp) =>
        (await request(app.url).get(STATS).set('Authorization', user.bearer).query(query).expect(200)).body.groups as Group[];
      // Not yet derived: the day is unknown and there is no ring time to average.
      expect((await byDay(older)).map((group) => [group.key, group.calls])).toEqual([[null, 2]]);

      // Another start (a deploy) on the same database derives them in the background.
      next = await startApp({ MONGODB_URI: older.uri });
      const deadline = Date.now() + 20_000;
      let groups = await byDay(next);
      while (groups.some((group) => group.key === null) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        groups = await byDay(next);
      }

      // 23:30Z on the 10th is 00:30 on the 11th in Paris: both calls fall on the 11th there.
      expect(groups).toEqual([expect.objectContaining({ key: '2026-03-11', calls: 2, answered: 1, averageRingSeconds: 12 })]);
      const stored = await next.db.collection('calls').find({}, { projection: { startQuarterHour: 1, ringSeconds: 1, tagKeys: 1 } }).toArray();
      expect(stored.map(({ _id, ...fields }) => [_id.toHexString(), fields])).toEqual(
        expect.arrayContaining([
          [answered, { startQuarterHour: Date.parse('2026-03-10T23:30:00Z') / 900_000, ringSeconds: 12, tagKeys: [] }],
          [missed, { startQuarterHour: Date.parse('2026-03-11T09:00:00Z') / 900_000, ringSeconds: null, tagKeys: [] }],
        ]),
      );
      expect(await next.db.collection('service_migrations').countDocuments({ _id: 'call-stats-fields' } as object)).toBe(1);
    } finally {
      await next?.stop();
      await older.stop();
    }
  });
});
