// @ts-check
'use strict';

/**
 * Latency of a page of the history and of one call as the collection grows: calls are seeded straight
 * into the database (as many as a new user might import) in one organization, then a handful of
 * requests per size, one at a time, are sent to our service and the same queries are run straight from
 * the driver. It says what a user gets (a latency, or a 503 once the database takes longer than the
 * service's socket timeout), not what the framework costs, so it runs on our service only.
 */

const { MongoClient, ObjectId } = require('mongodb');
const { PAGE_SIZE, bearer, callDocument } = require('./scenarios');
const { startNamedServer } = require('./setup');

const SIZES = [1_000, 5_000, 10_000, 50_000];
const INSERT_BATCH = 1_000;

/**
 * @typedef {object} Sample
 * @property {number} requests
 * @property {Record<string, number>} statuses how many answers of each status (0: no answer)
 * @property {number} p50Ms
 * @property {number} maxMs
 */

/**
 * @typedef {object} ScaleRow
 * @property {number} storedCalls
 * @property {number} seedSeconds
 * @property {{ list: Sample, get: Sample }} service our service, over HTTP
 * @property {{ list: Sample, get: Sample }} database the same queries from the driver, with no time-out
 */

/** @param {{ status: number, ms: number }[]} results @returns {Sample} */
function summarise(results) {
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const { status } of results) statuses[status] = (statuses[status] ?? 0) + 1;
  return { requests: results.length, statuses, p50Ms: Math.round(times[Math.floor(times.length / 2)]), maxMs: Math.round(times[times.length - 1]) };
}

/** @param {number} count @param {() => Promise<number>} once */
async function repeat(count, once) {
  /** @type {{ status: number, ms: number }[]} */
  const results = [];
  for (let i = 0; i < count; i++) {
    const began = performance.now();
    const status = await once().catch(() => 0);
    results.push({ status, ms: performance.now() - began });
  }
  return summarise(results);
}

/**
 * Runs in a database of its own, with an instance of our service of its own, both gone afterwards:
 * FerretDB cannot delete 50,000 documents in one command, and dropping a database is quick.
 * @param {{ uri: string, logDir: string, nodeArgs: string[], requests: number, log: (message: string) => void, sizes?: number[] }} options
 *   `uri` is the bench's database; this one is named after it
 * @returns {Promise<ScaleRow[]>}
 */
async function measureScale({ uri, logDir, nodeArgs, requests, log, sizes = SIZES }) {
  const url = new URL(uri);
  url.pathname = `${url.pathname}_scale`;
  const client = await new MongoClient(url.toString()).connect();
  const db = client.db();
  const server = await startNamedServer('ours', { uri: url.toString(), logDir, nodeArgs, logName: 'ours-scale' });
  const calls = db.collection('calls');
  const organizationId = new ObjectId();
  const userId = new ObjectId();
  const authorization = bearer(organizationId.toHexString(), userId.toHexString());
  const base = Date.UTC(2025, 0, 6, 9, 0, 0);
  /** @type {ScaleRow[]} */
  const rows = [];
  let stored = 0;
  let someId = /** @type {ObjectId | null} */ (null);
  try {
    for (const size of sizes) {
      const seedStart = performance.now();
      while (stored < size) {
        const batch = Array.from({ length: Math.min(INSERT_BATCH, size - stored) }, (_, i) => {
          const at = new Date(base + (stored + i) * 60_000);
          return callDocument(organizationId, userId, { status: 'completed', to: `+1416555${String(2000 + ((stored + i) % 1000)).padStart(4, '0')}` }, at);
        });
        await calls.insertMany(batch, { ordered: false });
        someId ??= batch[0]._id;
        stored += batch.length;
      }
      const seedSeconds = (performance.now() - seedStart) / 1000;
      const id = /** @type {ObjectId} */ (someId);
      const http = (/** @type {string} */ path) => async () => {
        const response = await fetch(`${server.url}${path}`, { headers: { authorization }, signal: AbortSignal.timeout(60_000) });
        await response.arrayBuffer();
        return response.status;
      };
      // The database alone first, without the service's socket time-out: what the query really takes
      // (fewer of them at the largest sizes, where one takes seconds). Then the service, whose requests
      // time out may leave the database still working on their queries.
      const direct = Math.max(1, Math.min(requests, Math.round(10_000 / size) + 1));
      const database = {
        list: await repeat(direct, async () => {
          await calls.find({ organizationId }).sort({ startTime: -1, _id: -1 }).limit(PAGE_SIZE + 1).toArray();
          return 200;
        }),
        get: await repeat(requests, async () => {
          await calls.findOne({ _id: id, organizationId });
          return 200;
        }),
      };
      const service = {
        list: await repeat(requests, http(`/api/calls?limit=${PAGE_SIZE}`)),
        get: await repeat(requests, http(`/api/calls/${id.toHexString()}`)),
      };
      rows.push({ storedCalls: stored, seedSeconds, service, database });
      const show = (/** @type {Sample} */ s) => `p50 ${s.p50Ms} ms, max ${s.maxMs} ms, ${Object.entries(s.statuses).map(([k, v]) => `${v}×${k}`).join(' ')}`;
      log(`scale ${String(stored).padStart(6)} calls (seeded in ${seedSeconds.toFixed(1)} s): list ${show(service.list)}; get ${show(service.get)}; database alone: list ${show(database.list)}, get ${show(database.get)}`);
    }
  } finally {
    await server.stop();
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
  return rows;
}

/** @param {ScaleRow[]} rows */
function scaleMarkdown(rows) {
  if (rows.length === 0) return '';
  const cell = (/** @type {Sample} */ s) => {
    const failed = s.requests - (s.statuses['200'] ?? 0);
    return `${s.p50Ms} ms (max ${s.maxMs})${failed > 0 ? `, **${failed} of ${s.requests} not 200** (${Object.keys(s.statuses).filter((k) => k !== '200').join(', ')})` : ''}`;
  };
  const lines = [
    '| Calls stored | List (a page of 20): service | List: database alone | Get: service | Get: database alone |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.storedCalls.toLocaleString('en')} | ${cell(r.service.list)} | ${cell(r.database.list)} | ${cell(r.service.get)} | ${cell(r.database.get)} |`),
  ];
  return `${lines.join('\n')}\n`;
}

module.exports = { SIZES, measureScale, scaleMarkdown };
