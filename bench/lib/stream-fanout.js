// @ts-check
'use strict';

/**
 * Stream fan-out (issue 11): N live streams (`GET /api/events/stream`, 1,000 by default) open on one process of
 * our service, all of one organization and unfiltered, so every event goes to every stream; then a call is
 * changed by PATCH, one at a time, a pause between. For each change and each stream: the time from the PATCH's
 * answer reaching the client to the event being read by that stream. Target: p99 under 500 ms at 1,000 streams.
 * Our service only, in a database of its own. The service's rate limit is startNamedServer's (THROTTLE_LIMIT
 * 1e9): the streams are opened by one user, which a production budget (300 a minute) would refuse past 300.
 */

const http = require('node:http');
const { MongoClient, ObjectId } = require('mongodb');
const { memory } = require('./proc');
const { bearer } = require('./scenarios');
const { startNamedServer } = require('./setup');

/**
 * @typedef {object} FanoutResult
 * @property {number} streams streams asked for
 * @property {number} opened streams that answered 200
 * @property {number} openSeconds how long opening them all took
 * @property {number} changes PATCHes made
 * @property {number} samples (stream, event) pairs measured
 * @property {number} missing (stream, event) pairs never read
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} maxMs
 * @property {number} rssIdleMb the service's RSS before the streams
 * @property {number} rssOpenMb with the streams open
 */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens one stream; `seen` gets, for each event number, when its `id:` line was read.
 * @param {string} url @param {string} authorization @param {http.Agent} agent
 * @returns {Promise<{ status: number, seen: Map<number, number>, close: () => void }>}
 */
function openStream(url, authorization, agent) {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/api/events/stream`, { agent, headers: { authorization, accept: 'text/event-stream' } }, (response) => {
      /** @type {Map<number, number>} */
      const seen = new Map();
      let rest = '';
      response.setEncoding('utf8');
      response.on('data', (/** @type {string} */ chunk) => {
        const now = performance.now();
        const text = rest + chunk;
        // Only the id lines are read: the client's own parsing must not be what is measured.
        for (let at = text.indexOf('\nid: '); at !== -1; at = text.indexOf('\nid: ', at + 1)) {
          const end = text.indexOf('\n', at + 5);
          if (end === -1) break;
          seen.set(Number(text.slice(at + 5, end).split(':')[1]), now);
        }
        rest = text.slice(-64);
      });
      response.on('error', () => undefined);
      resolve({ status: response.statusCode ?? 0, seen, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * @param {{ uri: string, logDir: string, nodeArgs: string[], streams: number, changes?: number, gapMs?: number, log: (message: string) => void }} options
 * @returns {Promise<FanoutResult>}
 */
async function measureStreamFanout({ uri, logDir, nodeArgs, streams, changes = 30, gapMs = 300, log }) {
  const url = new URL(uri);
  url.pathname = `${url.pathname}_fanout`;
  const server = await startNamedServer('ours', { uri: url.toString(), logDir, nodeArgs, logName: 'ours-stream-fanout' });
  const organizationId = new ObjectId().toHexString();
  const authorization = bearer(organizationId, new ObjectId().toHexString());
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  /** @type {Awaited<ReturnType<typeof openStream>>[]} */
  let open = [];
  try {
    const rssIdleMb = memory(server.pid).rssBytes / 2 ** 20;
    const began = performance.now();
    // In batches, as clients arrive, rather than 1,000 connections in one instant.
    for (let i = 0; i < streams; i += 50) {
      open.push(...(await Promise.all(Array.from({ length: Math.min(50, streams - i) }, () => openStream(server.url, authorization, agent)))));
    }
    const openSeconds = (performance.now() - began) / 1000;
    const live = open.filter((stream) => stream.status === 200);
    log(`stream-fanout: ${live.length} of ${streams} streams open in ${openSeconds.toFixed(1)} s`);
    const rssOpenMb = memory(server.pid).rssBytes / 2 ** 20;
    await sleep(1000);

    const headers = { authorization, 'content-type': 'application/json' };
    const initiated = await fetch(`${server.url}/api/calls/sdk/initiate`, { method: 'POST', headers, body: JSON.stringify({ phoneNumber: '+14165550199' }) });
    const callId = /** @type {{ call: { _id: string } }} */ (await initiated.json()).call._id;
    await sleep(gapMs);
    /** @type {number[]} the time each PATCH's answer came; its event is number index + 2 (the initiate's is 1) */
    const answered = [];
    for (let i = 0; i < changes; i++) {
      const response = await fetch(`${server.url}/api/calls/${callId}`, { method: 'PATCH', headers, body: JSON.stringify({ notes: `change ${i}` }) });
      answered.push(performance.now());
      if (response.status !== 200) throw new Error(`stream-fanout: PATCH answered ${response.status}`);
      await response.arrayBuffer();
      await sleep(gapMs);
    }
    await sleep(2000);

    /** @type {number[]} */
    const latencies = [];
    let missing = 0;
    for (const stream of live) {
      answered.forEach((at, index) => {
        const read = stream.seen.get(index + 2);
        if (read === undefined) missing++;
        else latencies.push(read - at);
      });
    }
    latencies.sort((a, b) => a - b);
    /** @type {FanoutResult} */
    const result = {
      streams,
      opened: live.length,
      openSeconds,
      changes,
      samples: latencies.length,
      missing,
      p50Ms: Math.round(quantile(latencies, 0.5)),
      p99Ms: Math.round(quantile(latencies, 0.99)),
      maxMs: Math.round(latencies[latencies.length - 1] ?? NaN),
      rssIdleMb: Math.round(rssIdleMb),
      rssOpenMb: Math.round(rssOpenMb),
    };
    log(
      `stream-fanout: ${result.opened} streams, ${changes} changes: PATCH answered to event read p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
        `max ${result.maxMs} ms (${result.samples} reads, ${missing} missing); RSS ${result.rssIdleMb} MB idle, ${result.rssOpenMb} MB with the streams open`,
    );
    return result;
  } finally {
    open.forEach((stream) => stream.close());
    open = [];
    agent.destroy();
    await server.stop();
    const client = await new MongoClient(url.toString()).connect();
    await client.db().dropDatabase().catch(() => undefined);
    await client.close();
  }
}

/** @param {FanoutResult | null} result */
function streamFanoutMarkdown(result) {
  if (!result) return '';
  return (
    '| Streams open | Changes | PATCH answered → event read: p50 | p99 | max | Reads missing | RSS idle → with the streams |\n' +
    '| --- | --- | --- | --- | --- | --- | --- |\n' +
    `| ${result.opened} of ${result.streams} | ${result.changes} | ${result.p50Ms} ms | ${result.p99Ms} ms | ${result.maxMs} ms | ${result.missing} | ${result.rssIdleMb} → ${result.rssOpenMb} MB |\n`
  );
}

module.exports = { measureStreamFanout, streamFanoutMarkdown };
