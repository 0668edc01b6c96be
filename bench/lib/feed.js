// @ts-check
'use strict';

/**
 * The event feed's data and requests (issue 11): events seeded straight into the database as the relay
 * stores them, the `feed` scenario (a page of `GET /api/events` with 1,000 events kept) and the feed's
 * conformance probes. `feed-scale.js` uses the same events to show a page's cost at 1,000 and 100,000.
 */

const path = require('node:path');
const { ObjectId } = require('mongodb');

const EVENT_TYPES = ['call.initiated', 'call.ringing', 'call.answered', 'call.ended', 'call.recording.added', 'call.updated'];
/** What each type of seeded event says changed. */
const CHANGES = {
  'call.initiated': [],
  'call.ringing': ['providerCallId', 'status'],
  'call.answered': ['status', 'answerTime'],
  'call.ended': ['status', 'endTime', 'duration'],
  'call.recording.added': ['recordings'],
  'call.updated': ['cost'],
};
/** The feed scenario's organization keeps this many events, numbered after PURGED (purged by retention). */
const KEPT = 1_000;
const PURGED = 10;
const FEED_PAGE = 100;

/** @param {string} organizationId @param {number} seq */
const eventId = (organizationId, seq) => `${organizationId}:${String(seq).padStart(12, '0')}`;

/** toCallDto of the build under test, or of this checkout's build. */
function toCallDtoOf() {
  const candidates = [
    process.env.BENCH_SERVICE_MAIN ? path.dirname(path.resolve(process.env.BENCH_SERVICE_MAIN)) : null,
    path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src'),
  ].filter((dir) => dir !== null);
  for (const built of candidates) {
    const file = path.join(/** @type {string} */ (built), 'calls', 'call.mapper.js');
    if (require('node:fs').existsSync(file)) return require(file).toCallDto;
  }
  throw new Error('bench: build the service first (npm run build): dist has no calls/call.mapper.js');
}

/**
 * Events `from`..`to` (numbers) of the organization, as the relay stores them (its field order), about the
 * given calls in turn, the types in turn.
 * @param {string} organizationId
 * @param {Record<string, any>[]} calls the organization's calls, as stored
 * @param {number} from
 * @param {number} to
 * @param {Date} at the time of the first; each next one a second later
 */
function eventDocuments(organizationId, calls, from, to, at) {
  const toCallDto = toCallDtoOf();
  const json = calls.map((call) => JSON.stringify(toCallDto(call)));
  /** @type {Record<string, unknown>[]} */
  const documents = [];
  for (let seq = from; seq <= to; seq++) {
    const index = seq % calls.length;
    const type = EVENT_TYPES[seq % EVENT_TYPES.length];
    documents.push({
      _id: eventId(organizationId, seq),
      organizationId,
      callId: calls[index]._id.toHexString(),
      callSeq: Math.floor(seq / calls.length) + 1,
      type,
      createdAt: new Date(at.getTime() + (seq - from) * 1000),
      changes: CHANGES[/** @type {keyof typeof CHANGES} */ (type)],
      call: json[index],
    });
  }
  return documents;
}

/**
 * The read organization's feed: KEPT events numbered after PURGED (the older ones purged by retention), and
 * its head as the relay leaves it.
 * @param {import('mongodb').Db} db
 * @param {string} organizationId
 * @param {Record<string, any>[]} calls
 */
async function seedFeed(db, organizationId, calls) {
  const last = PURGED + KEPT;
  // Recent: well inside any retention, so no relay purges them during the run.
  await db.collection('events').insertMany(eventDocuments(organizationId, calls, PURGED + 1, last, new Date(Date.now() - 3_600_000)));
  await db.collection('event_heads').insertOne({ _id: /** @type {any} */ (organizationId), seq: last, purgedThrough: PURGED });
  return { middle: eventId(organizationId, PURGED + KEPT / 2), last: eventId(organizationId, last), someCallId: calls[3]._id.toHexString() };
}

/**
 * A page of the feed: the head, then point lookups on `_id`, as both servers make them.
 * @param {import('mongodb').Db} db
 * @param {string} organizationId
 * @param {string} after
 * @param {number} limit
 */
async function feedPageFromDriver(db, organizationId, after, limit) {
  const events = db.collection('events');
  await db.collection('event_heads').findOne({ _id: /** @type {any} */ (organizationId) });
  const first = Number(after.slice(25)) + 1;
  const found = [];
  for (let at = first; at < first + limit; at += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, first + limit - at) }, (_, i) => events.findOne({ _id: /** @type {any} */ (eventId(organizationId, at + i)) })));
    found.push(...batch.filter(Boolean));
    if (batch.some((event) => !event)) break;
  }
  return found;
}

/**
 * @param {import('./scenarios').Fixtures} f
 * @param {(method: string, path: string, authorization: string | null) => import('./scenarios').Request} request
 * @returns {import('./scenarios').Scenario}
 */
function feedScenario(f, request) {
  return {
    id: 'feed',
    title: `GET /api/events (a page of ${FEED_PAGE}, ${KEPT.toLocaleString('en')} kept)`,
    // One user of its own for the checks: a build without the feed answers them 404 without counting them
    // against the rate limit, whose headers the other routes' checks then compare.
    request: request('GET', `/api/events?after=${f.feed.middle}&limit=${FEED_PAGE}`, f.agents.read[1]),
    agents: f.agents.read,
    status: 200,
    reset: async () => undefined,
    databaseWork: () => feedPageFromDriver(f.db, f.orgs.read, f.feed.middle, FEED_PAGE),
  };
}

/**
 * The feed's edges, which both servers must answer alike.
 * @param {import('./scenarios').Fixtures} f
 * @param {(method: string, path: string, authorization: string | null) => import('./scenarios').Request} request
 */
function feedProbes(f, request) {
  const read = f.agents.read[1];
  const phone = f.agents.phone[1];
  const at = (/** @type {number} */ seq) => eventId(f.orgs.read, seq);
  /** @type {[string, string, string | null][]} */
  const cases = [
    ['the feed from its oldest kept event', '/api/events?limit=5', read],
    ['the default page size', '/api/events', read],
    ['a page after an event', `/api/events?after=${at(500)}&limit=3`, read],
    ['filtered by two types', '/api/events?type=call.ended&type=call.answered&limit=4', read],
    ['filtered by one type, from an after', `/api/events?type=call.updated&after=${at(700)}&limit=2`, read],
    ['filtered by an upper-case call id', `/api/events?callId=${f.feed.someCallId.toUpperCase()}&limit=3`, read],
    ['the end of the feed: an empty page', `/api/events?after=${f.feed.last}`, read],
    ['past the end', `/api/events?after=${at(99_999)}`, read],
    ['an after older than the events kept is 410', `/api/events?after=${at(5)}`, read],
    ['another organization\'s after is 404', `/api/events?after=${eventId(f.orgs.other, 1)}`, read],
    ['the events the conformance\'s own calls made', '/api/events?limit=500', phone],
    ['a malformed after', '/api/events?after=not-an-event', read],
    ['an unknown type', '/api/events?type=call.nope', read],
    ['a malformed call id', '/api/events?callId=123', read],
    ['limit 0', '/api/events?limit=0', read],
    ['limit 501', '/api/events?limit=501', read],
    ['a limit that is no number', '/api/events?limit=ten', read],
    ['an unknown parameter', '/api/events?since=yesterday', read],
    ['no token', '/api/events', null],
  ];
  return cases.map(([name, url, authorization]) => ({ name, scenario: 'feed', request: request('GET', url, authorization) }));
}

module.exports = { EVENT_TYPES, FEED_PAGE, KEPT, eventId, eventDocuments, seedFeed, feedPageFromDriver, feedScenario, feedProbes };
