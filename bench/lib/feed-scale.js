// @ts-check
'use strict';

/**
 * The feed's cost as events are kept (issue 11): events are seeded straight into the database in one
 * organization, up to 1,000, 10,000 and 100,000, and at each size a handful of requests, one at a time,
 * read a page of 100 from the middle of the feed, the feed's end (the empty page a poller reads most of
 * the time), and a page filtered by type. The same point lookups are run straight from the driver, one
 * lookup of an id not stored yet (what a page past the feed's end looks up), and, for comparison, the
 * range query a naive feed would make (`_id > after`, sorted, limited). Our service only: it measures how
 * the cost grows, not what the framework costs.
 *
 * What it found on FerretDB 1.24: a lookup by `_id` that finds its document costs the same at any size,
 * but one that finds nothing reads the whole collection, so the feed's end, where the service looks up
 * a batch of ids not stored yet, grows with the events kept.
 */

const { MongoClient, ObjectId } = require('mongodb');
const { eventDocuments, eventId, feedPageFromDriver } = require('./feed');
const { bearer, callDocument } = require('./scenarios');
const { startNamedServer } = require('./setup');

const SIZES = [1_000, 10_000, 100_000];
/**
 * Pages from the middle of the feed are read up to this size only. On FerretDB 1.24 each of a page's
 * point lookups scans the table up to its event (bench/README.md), so a middle page at 100,000 takes
 * minutes and a full `npm run bench` would take hours; the feed's end, a naive range and a missing id,
 * which are what must not grow, are still measured at every size.
 */
const MIDDLE_PAGE_UP_TO = 10_000;
const INSERT_BATCH = 1_000;
const PAGE = 100;

/**
 * @typedef {object} Sample
 * @property {number} requests
 * @property {Record<string, number>} statuses
 * @property {number} p50Ms
 * @property {number} maxMs
 * @property {number} [events] events in the last answer
 */

/**
 * @typedef {object} FeedScaleRow
 * @property {number} storedEvents
 * @property {number} seedSeconds
 * @property {{ page: Sample | null, tail: Sample, filtered: Sample | null }} service null: not measured at this size
 * @property {{ page: Sample | null, missing: Sample, naiveRange: Sample }} database
 */

/** @param {number} count @param {() => Promise<{ status: number, events?: number }>} once @returns {Promise<Sample>} */
async function repeat(count, once) {
  /** @type {number[]} */
  const times = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  let events;
  for (let i = 0; i < count; i++) {
    const began = performance.now();
    const result = await once().catch(() => ({ status: 0, events: undefined }));
    times.push(performance.now() - began);
    statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    events = result.events;
  }
  times.sort((a, b) => a - b);
  return { requests: count, statuses, p50Ms: Math.round(times[Math.floor(times.length / 2)]), maxMs: Math.round(times[times.length - 1]), ...(events !== undefined ? { events } : {}) };
}

/**
 * In a database of its own, with an instance of our service of its own, both gone afterwards.
 * @param {{ uri: string, logDir: string, nodeArgs: string[], requests: number, log: (message: string) => void, sizes?: number[] }} options
 * @returns {Promise<FeedScaleRow[]>}
 */
async function measureFeedScale({ uri, logDir, nodeArgs, requests, log, sizes = SIZES }) {
  const url = new URL(uri);
  url.pathname = `${url.pathname}_feed`;
  const client = await new MongoClient(url.toString()).connect();
  const db = client.db();
  const server = await startNamedServer('ours', { uri: url.toString(), logDir, nodeArgs, logName: 'ours-feed-scale' });
  const organizationId = new ObjectId();
  const org = organizationId.toHexString();
  const userId = new ObjectId();
  const authorization = bearer(org, userId.toHexString());
  const base = new Date(Date.now() - 3_600_000);
  const calls = Array.from({ length: 100 }, (_, i) => callDocument(organizationId, userId, { status: 'completed', to: `+1416555${2000 + i}` }, new Date(base.getTime() + i * 60_000)));
  /** @type {FeedScaleRow[]} */
  const rows = [];
  let stored = 0;
  try {
    for (const size of sizes) {
      const seedStart = performance.now();
      while (stored < size) {
        const to = Math.min(size, stored + INSERT_BATCH);
        await db.collection('events').insertMany(eventDocuments(org, calls, stored + 1, to, new Date(base.getTime() + stored)), { ordered: false });
        stored = to;
      }
      // The head as the relay leaves it.
      await db.collection('event_heads').updateOne({ _id: /** @type {any} */ (org) }, { $set: { seq: stored, purgedThrough: 0 } }, { upsert: true });
      const seedSeconds = (performance.now() - seedStart) / 1000;
      const middle = eventId(org, Math.floor(stored / 2));
      const http = (/** @type {string} */ query) => async () => {
        const response = await fetch(`${server.url}/api/events?${query}`, { headers: { authorization }, signal: AbortSignal.timeout(60_000) });
        const body = /** @type {{ events?: unknown[] }} */ (await response.json());
        return { status: response.status, events: body.events?.length };
      };
      // Fewer at the largest sizes of what reads the whole collection.
      const fewer = Math.max(2, Math.min(requests, Math.round(20_000 / size) + 1));
      const middlePages = stored <= MIDDLE_PAGE_UP_TO;
      const service = {
        page: middlePages ? await repeat(requests, http(`after=${middle}&limit=${PAGE}`)) : null,
        tail: await repeat(fewer, http(`after=${eventId(org, stored)}`)),
        filtered: middlePages ? await repeat(requests, http(`after=${middle}&type=call.ended&limit=${PAGE}`)) : null,
      };
      // The naive range query reads every event kept on the embedded database: fewer of them at the largest sizes.
      const naive = Math.max(1, Math.min(requests, Math.round(20_000 / size)));
      const database = {
        page: middlePages ? await repeat(requests, async () => ({ status: 200, events: (await feedPageFromDriver(db, org, middle, PAGE)).length })) : null,
        missing: await repeat(fewer, async () => ({ status: 200, events: (await db.collection('events').findOne({ _id: /** @type {any} */ (eventId(org, stored + 1)) })) ? 1 : 0 })),
        naiveRange: await repeat(naive, async () => ({
          status: 200,
          events: (await db.collection('events').find({ _id: /** @type {any} */ ({ $gt: middle }) }).sort({ _id: 1 }).limit(PAGE).toArray()).length,
        })),
      };
      rows.push({ storedEvents: stored, seedSeconds, service, database });
      const show = (/** @type {Sample | null} */ s) => (!s ? 'not measured' : `p50 ${s.p50Ms} ms, max ${s.maxMs} ms${s.events !== undefined ? `, ${s.events} events` : ''}`);
      log(
        `feed-scale ${String(stored).padStart(7)} events (seeded in ${seedSeconds.toFixed(1)} s): page ${show(service.page)}; tail ${show(service.tail)}; ` +
          `filtered ${show(service.filtered)}; database alone: page ${show(database.page)}, an id not stored ${show(database.missing)}, naive range ${show(database.naiveRange)}`,
      );
    }
  } finally {
    await server.stop();
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
  return rows;
}

/** @param {FeedScaleRow[]} rows */
function feedScaleMarkdown(rows) {
  if (rows.length === 0) return '';
  const cell = (/** @type {Sample | null} */ s) => {
    if (!s) return `not measured (over ${MIDDLE_PAGE_UP_TO.toLocaleString('en')})`;
    const failed = s.requests - (s.statuses['200'] ?? 0);
    return `${s.p50Ms} ms (max ${s.maxMs})${failed > 0 ? `, **${failed} of ${s.requests} not 200**` : ''}`;
  };
  const lines = [
    `| Events kept | A page of ${PAGE} after the middle: service | The feed's end (empty page): service | Filtered by type: service | The page's lookups, driver alone | One id not stored, driver alone | A naive \`_id > after\` page, driver alone |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.storedEvents.toLocaleString('en')} | ${cell(r.service.page)} | ${cell(r.service.tail)} | ${cell(r.service.filtered)} | ${cell(r.database.page)} | ${cell(r.database.missing)} | ${cell(r.database.naiveRange)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

module.exports = { SIZES, measureFeedScale, feedScaleMarkdown };
