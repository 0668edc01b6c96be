// @ts-check
'use strict';

/**
 * Webhook delivery: how fast events reach a receiver on loopback that answers at once, and one that answers
 * in 1 s, and what the API's initiate throughput keeps meanwhile. Each phase first queues `queued` events
 * (calls initiated in an organization with one endpoint) and waits until the relay has numbered them all, so
 * that the window measures the deliveries, not the relay catching up; then it loads initiate in another
 * organization for a window while they are delivered. While the events are queued the receiver answers in
 * 1 s, so that most of them are still pending when the window starts (the prompt receiver turns prompt
 * then). Runs on our service only, in a database of its own.
 */

const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { MongoClient, ObjectId } = require('mongodb');
const autocannon = /** @type {(options: object) => Promise<any>} */ (require('autocannon'));
const { bearer } = require('./scenarios');
const { startNamedServer } = require('./setup');

/**
 * @typedef {object} WebhookPhase
 * @property {string} receiver
 * @property {number} queued events queued before the window
 * @property {number} initiateRps the API's initiate throughput during the window
 * @property {number} ratio initiateRps over the throughput with nothing queued
 * @property {number} delivered events the receiver got by the end of the window
 * @property {number} deliveredPerSecond over the window
 * @property {number} relaySeconds how long the relay took to number the queued events
 * @property {number} pendingAtStart deliveries pending (in `webhook_due`) when the window started
 * @property {number} pendingAtEnd and when it ended
 */

/** @param {number} delayMs */
async function receiver(delayMs) {
  /** @type {number[]} */
  const received = [];
  const target = { delayMs };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(Date.now());
      setTimeout(() => res.writeHead(200).end(), target.delayMs);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return Object.assign(target, { url: `http://127.0.0.1:${address.port}/hook`, received, close: () => new Promise((resolve) => server.close(resolve)) });
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
 * @param {{ uri: string, logDir: string, nodeArgs: string[], seconds: number, connections: number, queued?: number, log: (message: string) => void }} options
 * @returns {Promise<{ baselineRps: number, phases: WebhookPhase[] }>}
 */
async function measureWebhooks({ uri, logDir, nodeArgs, seconds, connections, queued = 1_000, log }) {
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
  /** @param {string} endpointId */
  const pendingOf = (endpointId) => db.collection('webhook_due').countDocuments({ endpointId: new ObjectId(endpointId) });
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
      const endpointId = (await created.json()).endpoint._id;
      const promptness = target.delayMs;
      target.delayMs = 1_000;
      // Queue the events, 10 initiates at a time.
      for (let sent = 0; sent < queued; sent += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, queued - sent) }, () =>
            fetch(`${server.url}/api/calls/sdk/initiate`, {
              method: 'POST',
              headers: { authorization: admin, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
              body: JSON.stringify({ phoneNumber: '+14165550199' }),
            }).then((response) => response.arrayBuffer()),
          ),
        );
      }
      // The relay numbers the events at its own pace (issue 11's work, not the webhooks'): wait for all of them.
      const queuedAt = Date.now();
      for (;;) {
        const head = await db.collection('event_heads').findOne({ _id: /** @type {any} */ (organizationId) });
        if ((head?.seq ?? 0) >= queued) break;
        if (Date.now() - queuedAt > 600_000) throw new Error(`the relay numbered ${head?.seq ?? 0} of ${queued} events in 10 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const relaySeconds = (Date.now() - queuedAt) / 1000;
      target.delayMs = promptness;
      const pendingAtStart = await pendingOf(endpointId);
      const before = target.received.length;
      const started = Date.now();
      const initiateRps = await initiateWindow(server.url, load, seconds, connections);
      const elapsed = (Date.now() - started) / 1000;
      const delivered = target.received.length;
      const pendingAtEnd = await pendingOf(endpointId);
      const phase = {
        receiver: name,
        queued,
        initiateRps,
        ratio: initiateRps / baselineRps,
        delivered,
        deliveredPerSecond: (delivered - before) / elapsed,
        relaySeconds,
        pendingAtStart,
        pendingAtEnd,
      };
      phases.push(phase);
      log(
        `webhooks: receiver that ${name}: initiate ${initiateRps.toFixed(0)} req/s (${phase.ratio.toFixed(2)} of idle) with ${pendingAtStart} deliveries pending ` +
          `(${pendingAtEnd} at the end; the relay took ${relaySeconds.toFixed(0)} s to number the ${queued} events); ` +
          `${phase.deliveredPerSecond.toFixed(1)} events/s delivered, ${delivered} of ${queued}+ so far`,
      );
      // Nothing more for this endpoint: the next phase measures its own receiver alone.
      await fetch(`${server.url}/api/webhook-endpoints/${endpointId}`, { method: 'DELETE', headers: { authorization: admin } });
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
    `Initiate with nothing queued: ${result.baselineRps.toFixed(0)} req/s.`,
    '',
    '| Receiver | Events queued | Pending at the start / end of the window | Initiate meanwhile | Of idle (target ≥ 0.9) | Events delivered per second |',
    '| --- | --- | --- | --- | --- | --- |',
    ...result.phases.map(
      (p) => `| ${p.receiver} | ${p.queued} | ${p.pendingAtStart} / ${p.pendingAtEnd} | ${p.initiateRps.toFixed(0)} req/s | ${p.ratio.toFixed(2)} | ${p.deliveredPerSecond.toFixed(1)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

module.exports = { measureWebhooks, webhooksMarkdown };
