'use strict';
/**
 * The feed's end and its last ten events as events are kept, for one build: seeds 1,000, 10,000 and 100,000
 * events of one organization straight into a database of its own (started as the tests start it), with the
 * head over them, and times `GET /api/events?after=<last>` (the empty page a poller reads most of the time)
 * and `?after=<last-10>&limit=10`, one request at a time.
 *
 *   node bench/tools/feed-end.js                       this checkout's dist (build it first)
 *   BENCH_SERVICE_MAIN=<other>/dist/apps/calls-service/src/main.js node bench/tools/feed-end.js
 *   SIZES=1000,10000 N=2 ...                           other sizes, requests per size
 *   HEAD_COPIES=0 ...                                  a head without its copies of the newest events
 */
const path = require('node:path');
const os = require('node:os');
const { MongoClient, ObjectId } = require('mongodb');
const { startDatabase } = require('../../scripts/database');
const { startNamedServer } = require('../lib/setup');
const { eventDocuments, eventId } = require('../lib/feed');
const { bearer, callDocument } = require('../lib/scenarios');
(async () => {
  const database = await startDatabase({ dataDir: path.join(os.tmpdir(), `pe-tail-${Date.now()}`), log: () => undefined });
  const uri = `${database.uri.replace(/\/$/, '')}/pe_tail`;
  const client = await new MongoClient(uri).connect();
  const db = client.db();
  const organizationId = new ObjectId();
  const org = organizationId.toHexString();
  const userId = new ObjectId();
  const base = new Date(Date.now() - 3_600_000);
  const calls = Array.from({ length: 100 }, (_, i) => callDocument(organizationId, userId, { status: 'completed', to: `+1416555${2000 + i}` }, new Date(base.getTime() + i * 60_000)));
  const server = await startNamedServer('ours', { uri, logDir: os.tmpdir(), nodeArgs: [] });
  const authorization = bearer(org, userId.toHexString());
  let stored = 0;
  for (const size of (process.env.SIZES || '1000,10000,100000').split(',').map(Number)) {
    while (stored < size) {
      const to = Math.min(size, stored + 1000);
      await db.collection('events').insertMany(eventDocuments(org, calls, stored + 1, to, new Date(base.getTime() + stored)), { ordered: false });
      stored = to;
    }
    // The head as the relay leaves it, with its copies of the newest events (HEAD_COPIES=0: without them).
    const recent = process.env.HEAD_COPIES === '0' ? [] : await db.collection('events').find({ _id: { $gt: eventId(org, stored - 100) } }).sort({ _id: 1 }).toArray();
    await db.collection('event_heads').updateOne({ _id: org }, { $set: { seq: stored, settledThrough: stored, purgedThrough: 0, recent } }, { upsert: true });
    const time = async (query, n) => {
      const times = [];
      for (let i = 0; i < n; i++) {
        const began = performance.now();
        const response = await fetch(`${server.url}/api/events?${query}`, { headers: { authorization }, signal: AbortSignal.timeout(180_000) }).catch((e) => ({ status: String(e.name) }));
        if (response.json) await response.json();
        times.push(Math.round(performance.now() - began) + (response.status === 200 ? '' : `(${response.status})`));
      }
      return times.join(', ');
    };
    console.log(`${stored} events: end of feed ${await time(`after=${eventId(org, stored)}`, Number(process.env.N || 5))} ms; last 10 events ${await time(`after=${eventId(org, stored - 10)}&limit=10`, 2)} ms`);
  }
  await server.stop();
  await client.close();
  await database.stop();
})();
