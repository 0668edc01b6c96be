// @ts-check
'use strict';

/**
 * Webhook delivery: how fast events reach a receiver on loopback that answers at once, and one that answers
 * in 1 s, and what the API's initiate throughput keeps meanwhile. Each phase registers an endpoint, puts
 * `queued` pending deliveries for it straight into the database, as a fan-out writes them (a delivery and its
 * due entry each, with a call event's body), then runs rounds of two windows of initiate load in another
 * organization, back to back in alternating order: one while the service delivers, one with the deliveries
 * held (due entries and deliveries moved a day ahead, so that nothing is due), in the same database. The ratio
 * of each round's pair is taken, and the median reported: the machine is shared, and the database grows with
 * every window, so only windows run back to back compare. The deliveries are seeded, not made by initiating calls,
 * so that the window measures the deliveries rather than the event relay catching up with a thousand calls
 * (which takes minutes on FerretDB: issue 11's work, not the webhooks'). Runs on our service only, in a
 * database of its own.
 */

const http = require('node:http');
const { MongoClient, ObjectId } = require('mongodb');
const autocannon = /** @type {(options: object) => Promise<any>} */ (require('autocannon'));
const { bearer } = require('./scenarios');
const { startNamedServer } = require('./setup');

/**
 * @typedef {object} WebhookPhase
 * @property {string} receiver
 * @property {number} queued deliveries seeded
 * @property {{ delivering: number, held: number, ratio: number, delivered: number, pending: number }[]} rounds
 *   initiate req/s while delivering and with the deliveries held, their ratio, events delivered in the
 *   delivering window and deliveries pending at its start
 * @property {number} ratio the median of the rounds' ratios (target ≥ 0.9)
 * @property {number} ratioMin
 * @property {number} ratioMax
 * @property {number} deliveredPerSecond the median over the delivering windows
 */

/** @param {number[]} values */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** @param {number} delayMs */
async function receiver(delayMs) {
  /** @type {number[]} */
  const received = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(Date.now());
      setTimeout(() => res.writeHead(200).end(), delayMs);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${address.port}/hook`, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** @param {string} url @param {string} authorization @param {number} seconds @param {number} connections */
async function initiateWindow(url, authorization, seconds, connections) {
  const result = await autocannon({
    url: `${url}/api/calls/sdk/initiate`,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumber: '+14165550199' }),
    connections,
    duration: seconds,
  });
  return result['2xx'] / result.duration;
}

/**
 * A call event's body as the feed gives it, of the usual size.
 * @param {string} organizationId
 * @param {number} seq
 */
function eventBody(organizationId, seq) {
  const id = new ObjectId().toHexString();
  const at = new Date().toISOString();
  const call = {
    _id: id, callId: id, callToken: null, provider: 'sinch', providerCallId: null, direction: 'outbound', status: 'initiated',
    from: '+14165550100', to: '+14165550199', contactId: null, conversationId: null, organizationId, userId: new ObjectId().toHexString(),
    providerPhoneNumber: '+14165550100', startTime: at, answerTime: null, endTime: null, duration: null, endReason: null, cost: null,
    recordings: [], outcomeId: null, notes: null, tags: [], version: 1, createdAt: at, updatedAt: at,
  };
  return { id: `${organizationId}:${String(seq).padStart(12, '0')}`, type: 'call.initiated', createdAt: at, organizationId, data: { call, changes: [] } };
}

/**
 * @param {{ uri: string, logDir: string, nodeArgs: string[], seconds: number, connections: number, queued?: number, rounds?: number, log: (message: string) => void }} options
 * @returns {Promise<{ baselineRps: number, phases: WebhookPhase[] }>}
 */
async function measureWebhooks({ uri, logDir, nodeArgs, seconds, connections, queued = 1_000, rounds = 3, log }) {
  const url = new URL(uri);
  url.pathname = `${url.pathname}_webhooks`;
  const client = await new MongoClient(url.toString()).connect();
  const server = await startNamedServer('ours', {
    uri: url.toString(),
    logDir,
    nodeArgs,
    logName: 'ours-webhooks',
    extraEnv: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' },
  });
  const receivers = { 'answers at once': await receiver(0), 'answers in 1 s': await receiver(1_000) };
  const db = client.db();
  /** @param {ObjectId} endpointId */
  const pendingOf = (endpointId) => db.collection('webhook_due').countDocuments({ endpointId });
  const load = bearer(new ObjectId().toHexString(), new ObjectId().toHexString());
  try {
    const baselineRps = await initiateWindow(server.url, load, seconds, connections);
    log(`webhooks: initiate with nothing queued ${baselineRps.toFixed(0)} req/s`);
    /** @type {WebhookPhase[]} */
    const phases = [];
    for (const [name, target] of Object.entries(receivers)) {
      const organizationId = new ObjectId().toHexString();
      const admin = bearer(organizationId, new ObjectId().toHexString(), { expiresIn: '6h' }, { organizationId, role: 'admin' });
      const created = await fetch(`${server.url}/api/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: admin, 'content-type': 'application/json' },
        body: JSON.stringify({ url: target.url }),
      });
      if (created.status !== 201) throw new Error(`could not register the endpoint: ${created.status} ${await created.text()}`);
      const endpointId = new ObjectId(/** @type {string} */ ((await created.json()).endpoint._id));
      const organization = new ObjectId(organizationId);
      // The deliveries and due entries a fan-out of `queued` events writes (webhook-worker.service.ts, enqueue).
      const now = new Date();
      const events = Array.from({ length: queued }, (_, index) => eventBody(organizationId, index + 1));
      const deliveries = events.map((event) => ({
        _id: `${endpointId.toHexString()}:${event.id}`,
        organizationId: organization,
        endpointId,
        eventId: event.id,
        eventType: event.type,
        payload: JSON.stringify(event),
        status: 'pending',
        attempts: [],
        roundStart: 0,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      }));
      await db.collection('webhook_deliveries').insertMany(/** @type {any[]} */ (deliveries));
      await db.collection('webhook_due').insertMany(
        /** @type {any[]} */ (deliveries.map((delivery) => ({ _id: delivery._id, organizationId: organization, endpointId, dueAt: now }))),
      );
      /** @param {Date} at when the pending deliveries are due: now, or a day ahead to hold them */
      const dueAt = async (at) => {
        await db.collection('webhook_due').updateMany({ endpointId }, { $set: { dueAt: at } });
        await db.collection('webhook_deliveries').updateMany({ endpointId, status: 'pending' }, { $set: { nextAttemptAt: at } });
      };
      // After either move the database settles for the same time (it has just rewritten every pending delivery),
      // attempts under way finish and those the service already took up find nothing due.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));
      const hold = async () => {
        await dueAt(new Date(Date.now() + 86_400_000));
        await settle();
      };
      await hold();
      /** @type {WebhookPhase['rounds']} */
      const measured = [];
      for (let round = 0; round < rounds; round++) {
        const pair = { delivering: 0, held: 0, ratio: 0, delivered: 0, pending: 0 };
        for (const delivering of round % 2 === 0 ? [true, false] : [false, true]) {
          if (!delivering) {
            pair.held = await initiateWindow(server.url, load, seconds, connections);
            continue;
          }
          await dueAt(new Date());
          await settle();
          pair.pending = await pendingOf(endpointId);
          const before = target.received.length;
          const started = Date.now();
          pair.delivering = await initiateWindow(server.url, load, seconds, connections);
          pair.delivered = (target.received.length - before) / ((Date.now() - started) / 1000);
          await hold();
        }
        pair.ratio = pair.delivering / pair.held;
        measured.push(pair);
        log(
          `webhooks: receiver that ${name}, round ${round + 1}: initiate ${pair.delivering.toFixed(0)} req/s with ${pair.pending} deliveries pending, ` +
            `${pair.held.toFixed(0)} with them held (${pair.ratio.toFixed(2)}); ${pair.delivered.toFixed(1)} events/s delivered`,
        );
      }
      // Nothing more for this endpoint: the next phase measures its own receiver alone.
      await fetch(`${server.url}/api/webhook-endpoints/${endpointId.toHexString()}`, { method: 'DELETE', headers: { authorization: admin } });
      const ratios = measured.map((pair) => pair.ratio);
      phases.push({
        receiver: name,
        queued,
        rounds: measured,
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        deliveredPerSecond: median(measured.map((pair) => pair.delivered)),
      });
    }
    return { baselineRps, phases };
  } finally {
    await server.stop();
    await Promise.all(Object.values(receivers).map((target) => target.close()));
    await client.db().dropDatabase().catch(() => undefined);
    await client.close();
  }
}

/** @param {{ baselineRps: number, phases: WebhookPhase[] } | null} result */
function webhooksMarkdown(result) {
  if (!result) return '';
  const lines = [
    `Initiate with no endpoint at all, first: ${result.baselineRps.toFixed(0)} req/s.`,
    '',
    '| Receiver | Deliveries seeded | Initiate while delivering / with them held, per round (req/s) | Ratio, median (min–max); target ≥ 0.9 | Events delivered per second |',
    '| --- | --- | --- | --- | --- |',
    ...result.phases.map(
      (p) =>
        `| ${p.receiver} | ${p.queued} | ${p.rounds.map((r) => `${r.delivering.toFixed(0)} / ${r.held.toFixed(0)}`).join(', ')} | ` +
        `${p.ratio.toFixed(2)} (${p.ratioMin.toFixed(2)}–${p.ratioMax.toFixed(2)}) | ${p.deliveredPerSecond.toFixed(1)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

module.exports = { measureWebhooks, webhooksMarkdown };
