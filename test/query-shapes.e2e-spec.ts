import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RunningApp, startApp } from './support/app';
import { adminUser, newId } from './support/auth';
import { openStream } from './support/sse';

/** What one operation asked of the database, values left out (see support/record-queries.js). */
interface QueryShape {
  collection: string;
  method: string;
  filter: Record<string, unknown>;
  sort: Record<string, number> | null;
  /** Sent while answering a request, rather than by background work (the event relay, the purges). */
  inRequest: boolean;
}

/** The collections of an organization's data, which the API lists and looks up in. */
const ORGANIZATION_DATA = [
  'calls',
  'contacts',
  'phone_numbers',
  'call_outcomes',
  'webhook_endpoints',
  'webhook_endpoint_states',
  'webhook_deliveries',
  'webhook_due',
  'events',
  'event_heads',
  'event_stream_tickets',
  'event_stream_ticket_redemptions',
];
const READS_AND_WRITES = ['find', 'findOne', 'countDocuments', 'updateOne', 'updateMany', 'findOneAndUpdate', 'deleteOne', 'deleteMany', 'aggregate'];
const RECORDER = join(__dirname, 'support', 'record-queries.js');

/** Whether the filter names the organization at its top level, or in every branch of a top-level $or. */
function scopedToOrganization(filter: Record<string, unknown>): boolean {
  if ('organizationId' in filter) return true;
  const branches = filter.$or;
  return Array.isArray(branches) && branches.length > 0 && branches.every((branch) => scopedToOrganization(branch as Record<string, unknown>));
}

/**
 * An index that starts with the organization, then the filter's other fields (in any order), then the
 * sort: it finds the page within one organization and yields it already in order.
 */
function servingIndex(candidates: Array<Record<string, number>>, filter: Record<string, unknown>, sort: Record<string, number>): Record<string, number> | undefined {
  const sortKeys = Object.entries(sort);
  return candidates.find((index) => {
    const keys = Object.entries(index);
    if (keys[0]?.[0] !== 'organizationId' || keys.length < sortKeys.length + 1) return false;
    const tail = keys.slice(keys.length - sortKeys.length);
    const middle = keys.slice(1, keys.length - sortKeys.length);
    return tail.every(([key, direction], i) => key === sortKeys[i][0] && direction === sortKeys[i][1]) && middle.every(([key]) => key in filter);
  });
}

function firstMatchOf(pipeline: unknown): Record<string, unknown> {
  const first = Array.isArray(pipeline) ? (pipeline[0] as Record<string, unknown> | undefined) : undefined;
  return (first?.$match as Record<string, unknown> | undefined) ?? {};
}

/** A query with `_id` equal to one value is served by the _id index whatever else it names. */
const byId = (filter: Record<string, unknown>): boolean => filter._id === 'ObjectId';

describe('Query shapes', () => {
  const log = join(tmpdir(), `calls-service-queries-${process.pid}-${Date.now()}.jsonl`);
  let app: RunningApp;
  let shapes: QueryShape[];
  /** The indexes the service built on each collection of organization data, but _id's. */
  const indexes: Record<string, Array<Record<string, number>>> = {};

  beforeAll(async () => {
    app = await startApp({ NODE_OPTIONS: `--require ${RECORDER}`, QUERY_LOG: log });
    const user = adminUser();
    const as = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => request(app.url)[method](path).set('Authorization', user.bearer);

    // Every route that lists or looks up an organization's data, with each filter the API offers.
    const contact = await as('post', '/api/contacts').send({ firstName: 'Ada', lastName: 'Lovelace', phoneNumber: '+14165550199' }).expect(201);
    const contactId = contact.body.contact._id;
    await as('get', '/api/contacts').expect(200);
    await as('get', '/api/contacts?q=ada love').expect(200);
    await as('get', '/api/contacts?q=416555').expect(200);
    await as('get', `/api/contacts/${contactId}`).expect(200);
    await as('patch', `/api/contacts/${contactId}`).send({ company: 'Analytical Engines' }).expect(200);
    const number = await as('post', '/api/phone-numbers').send({ number: '+14165550111', isDefault: true }).expect(201);
    await as('get', '/api/phone-numbers').expect(200);
    await as('patch', `/api/phone-numbers/${number.body.phoneNumber._id}`).send({ label: 'Main' }).expect(200);
    const byNumber = await as('post', '/api/calls/sdk/initiate').send({ phoneNumber: '+14165550199' }).expect(201);
    await as('post', '/api/calls/sdk/initiate').send({ contactId }).expect(201);
    await as('post', '/api/calls/sdk/initiate').send({ phoneNumber: '+14165550122' }).expect(201);
    const callId = byNumber.body.call._id;
    const page = await as('get', '/api/calls?limit=1').expect(200);
    await as('get', `/api/calls?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`).expect(200);
    for (const filter of [`contactId=${contactId}`, `userId=${user.userId}`, 'status=initiated', 'direction=outbound', 'phoneNumber=%2B14165550199', 'since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z']) {
      await as('get', `/api/calls?${filter}`).expect(200);
    }
    await as('get', `/api/calls/${callId}`).expect(200);
    await as('get', `/api/calls/${newId()}`).expect(404);
    await as('patch', `/api/calls/${callId}`).send({ status: 'ringing' }).expect(200);
    // The wrap-up: outcomes, a call's outcome, notes and tags, and the filters on them.
    const outcome = await as('post', '/api/call-outcomes').send({ name: 'Booked', positive: true }).expect(201);
    const outcomeId = outcome.body.outcome._id;
    const spare = await as('post', '/api/call-outcomes').send({ name: 'Spare' }).expect(201);
    await as('get', '/api/call-outcomes').expect(200);
    await as('get', `/api/call-outcomes/${outcomeId}`).expect(200);
    await as('patch', `/api/call-outcomes/${outcomeId}`).send({ description: 'A demo' }).expect(200);
    await as('patch', `/api/calls/${callId}`).send({ outcomeId, notes: 'Ada wants a demo', tags: ['demo', 'vip'] }).expect(200);
    await as('delete', `/api/call-outcomes/${outcomeId}`).expect(409);
    await as('delete', `/api/call-outcomes/${spare.body.outcome._id}`).expect(204);
    for (const filter of [`outcomeId=${outcomeId}`, 'tag=demo', 'tag=demo&tag=vip', 'q=ada', 'q=nobody']) {
      await as('get', `/api/calls?${filter}`).expect(200);
    }
    // The export reads through a cursor, with the list's filters.
    await as('get', '/api/calls/export?format=csv&tag=demo&q=ada').expect(200);
    await as('get', '/api/calls/export?format=ndjson').expect(200);
    // The statistics aggregate; each pipeline's $match names the organization.
    for (const groupBy of ['user', 'day', 'outcome', 'status']) {
      await as('get', `/api/calls/stats?since=2020-01-01T00:00:00Z&until=2020-12-31T00:00:00Z&groupBy=${groupBy}&q=ada&tag=demo`).expect(200);
    }
    await as('delete', `/api/contacts/${contactId}`).expect(204);
    const endpoint = await as('post', '/api/webhook-endpoints').send({ url: 'https://hooks.example.invalid/calls', events: ['call.ended'] }).expect(201);
    const endpointId = endpoint.body.endpoint._id;
    await as('get', '/api/webhook-endpoints').expect(200);
    await as('get', `/api/webhook-endpoints/${endpointId}`).expect(200);
    await as('patch', `/api/webhook-endpoints/${endpointId}`).send({ description: 'Timeline', enabled: true }).expect(200);
    await as('post', `/api/webhook-endpoints/${endpointId}/rotate-secret`).expect(200);
    const test = await as('post', `/api/webhook-endpoints/${endpointId}/test`).expect(202);
    await as('get', `/api/webhook-endpoints/${endpointId}/deliveries?limit=1&status=pending&cursor=${encodeURIComponent(test.body.delivery.eventId)}`).expect(200);
    await as('get', `/api/webhook-endpoints/${endpointId}/deliveries`).expect(200);
    await as('post', `/api/webhook-endpoints/${endpointId}/deliveries/${encodeURIComponent(test.body.delivery._id)}/retry`).expect(409);
    await as('delete', `/api/webhook-endpoints/${endpointId}`).expect(204);

    // The feed, and the live stream: opened with the bearer token and with a ticket, resumed, live, then left.
    const feed = await as('get', '/api/events?limit=2').expect(200);
    await as('get', `/api/events?after=${encodeURIComponent(feed.body.nextCursor)}&type=call.ringing&callId=${callId}`).expect(200);
    const firstEvent = feed.body.events[0].id;
    const { ticket } = (await as('post', '/api/events/stream-tickets').expect(201)).body;
    const streams = await Promise.all([
      openStream(app.url, `/api/events/stream?ticket=${ticket}&type=call.ended`),
      openStream(app.url, `/api/events/stream?userId=${user.userId}`, { Authorization: user.bearer, 'Last-Event-ID': firstEvent }),
      openStream(app.url, `/api/events/stream?after=${firstEvent}&callId=${callId}`, { Authorization: user.bearer }),
    ]);
    expect(streams.map((stream) => stream.status)).toEqual([200, 200, 200]);
    await as('patch', `/api/calls/${callId}`).send({ status: 'completed' }).expect(200);
    await Promise.all(streams.map((stream) => stream.waitForEvents(1, 10_000)));
    streams.forEach((stream) => stream.close());

    shapes = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as QueryShape)
      // A pipeline's filter is its first stage's $match.
      .map((shape) => (shape.method === 'aggregate' ? { ...shape, filter: firstMatchOf(shape.filter) } : shape))
      .filter((shape) => ORGANIZATION_DATA.includes(shape.collection) && READS_AND_WRITES.includes(shape.method));
    for (const collection of ORGANIZATION_DATA) {
      const built = await app.db.collection(collection).indexes();
      indexes[collection] = built.map((index) => index.key as Record<string, number>).filter((key) => Object.keys(key).join() !== '_id');
    }
  });

  afterAll(async () => {
    await app?.stop();
    rmSync(log, { force: true });
  });

  it('records the queries the routes made', () => {
    expect(shapes.filter((shape) => shape.collection === 'calls' && shape.method === 'find').length).toBeGreaterThanOrEqual(8);
    expect(shapes.some((shape) => shape.collection === 'contacts' && shape.method === 'find')).toBe(true);
    expect(shapes.some((shape) => shape.collection === 'phone_numbers' && shape.method === 'find')).toBe(true);
    expect(shapes.some((shape) => shape.collection === 'call_outcomes' && shape.method === 'find')).toBe(true);
    expect(shapes.filter((shape) => shape.collection === 'calls' && shape.method === 'aggregate').length).toBeGreaterThanOrEqual(20);
    // The feed and the streams read the head, and the newest events from the head's copies of them.
    expect(shapes.filter((shape) => ['events', 'event_heads'].includes(shape.collection) && shape.method === 'findOne' && shape.inRequest).length).toBeGreaterThanOrEqual(10);
    expect(shapes.some((shape) => shape.collection === 'event_stream_tickets' && shape.inRequest)).toBe(true);
  });

  it("names the caller's organization in every list and lookup of its data", () => {
    // The event relay reads a call by its _id alone, for an organization it took from a marker the
    // request wrote: background work, which no caller's input steers.
    // Three lookups by _id alone are scoped by what the _id is. An event's _id is `<organizationId>:<number>`, built
    // from the caller's organization; naming organizationId beside it would cost the embedded database its pushdown
    // (it pushes down a filter of _id alone: with another field it scans the collection, 3x slower at 5,000 events
    // and growing). An organization's event head is keyed by the organization itself. A stream ticket is found by the
    // hash of the secret that names its holder, before any organization is known: it is how the caller authenticates.
    const keyedByOrganizationOrSecret = (shape: QueryShape) =>
      ['events', 'event_heads', 'event_stream_tickets'].includes(shape.collection) && shape.method === 'findOne' && JSON.stringify(shape.filter) === '{"_id":"string"}';
    const filtered = shapes.filter((shape) => !keyedByOrganizationOrSecret(shape));
    const answering = filtered.filter((shape) => shape.inRequest);
    expect(answering.length).toBeGreaterThan(filtered.length / 2);
    expect(answering.filter((shape) => !scopedToOrganization(shape.filter))).toEqual([]);
  });

  it('reads every page from an index that starts with the organization and yields the page in order', () => {
    // The webhook workers' poll of due deliveries crosses organizations by design, on its own index ({ dueAt: 1 }).
    const pages = shapes.filter((shape) => shape.method === 'find' && shape.sort && !byId(shape.filter) && !(shape.collection === 'webhook_due' && !shape.inRequest));
    const unserved = pages.filter((shape) => {
            // A $or of alternatives (either end of a call, either number of a contact) needs an index per branch.
      const branches = Array.isArray(shape.filter.$or) && !('organizationId' in shape.filter) ? (shape.filter.$or as Array<Record<string, unknown>>) : [shape.filter];
      const phoneBranches = Array.isArray(shape.filter.$and)
        ? (shape.filter.$and as Array<Record<string, unknown>>).flatMap((clause) => (Array.isArray(clause.$or) ? (clause.$or as Array<Record<string, unknown>>) : []))
        : [];
      const withBranches = phoneBranches.some((branch) => 'to' in branch) ? phoneBranches.map((branch) => ({ ...shape.filter, ...branch })) : branches;
      return withBranches.some((filter) => !servingIndex(indexes[shape.collection], filter, shape.sort!));
    });
    expect(unserved).toEqual([]);
  });

  it('builds no index on organization data that does not start with the organization, but the provider lookup and the webhook queues\' background work', () => {
    const others = ORGANIZATION_DATA.flatMap((collection) => indexes[collection].filter((keys) => Object.keys(keys)[0] !== 'organizationId').map((keys) => ({ collection, keys })));
    // The deliveries' retention purge is background work across organizations, by age alone.
    expect(others).toEqual([
      { collection: 'calls', keys: { provider: 1, providerCallId: 1 } },
      { collection: 'webhook_deliveries', keys: { createdAt: 1 } },
      { collection: 'webhook_due', keys: { dueAt: 1 } },
    ]);
  });
});
