// @ts-check
'use strict';

/**
 * Before anything is measured, both servers get the same requests and must give the same answers:
 * status, headers and body, and for a recorded call the same stored document. Only what must differ
 * is blanked out: the ids of new calls and of their events, and the times they were recorded. For a
 * recorded call it also waits for both relays to move the call's event to the feed, then compares the
 * call as the relay left it and the event documents stored. A baseline that did less work than the
 * service would make every ratio flattering, so this is what keeps the comparison honest.
 */

const { isDeepStrictEqual } = require('node:util');
const { ObjectId } = require('mongodb');

/** Headers about the connection, not the answer. */
const CONNECTION_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
/** Headers that must be there on both sides but whose values differ per answer by nature. */
const VARYING_HEADERS = new Set(['x-request-id', 'x-ratelimit-reset', 'retry-after']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** How long a relay may take to move a new call's event to the feed, at most. */
const RELAY_WAIT_MS = 15_000;

/**
 * @typedef {object} Answer
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {unknown} body parsed JSON, or the text when it is not JSON
 */

/**
 * @param {string} baseUrl
 * @param {import('./scenarios').Request} request
 * @returns {Promise<Answer>}
 */
async function send(baseUrl, request) {
  const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  /** @type {unknown} */
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  /** @type {Record<string, string>} */
  const headers = {};
  response.headers.forEach((value, name) => {
    if (!CONNECTION_HEADERS.has(name)) headers[name] = VARYING_HEADERS.has(name) ? '<varies>' : value;
  });
  return { status: response.status, headers, body };
}

/**
 * Blanks the ids this run created and the times at or after `since`, anywhere in a value.
 * @param {unknown} value
 * @param {Set<string>} newIds
 * @param {number} since
 * @returns {unknown}
 */
function normalise(value, newIds, since) {
  if (value instanceof ObjectId) return newIds.has(value.toHexString()) ? '<new id>' : { $oid: value.toHexString() };
  if (value instanceof Date) return value.getTime() >= since ? '<now>' : { $date: value.toISOString() };
  if (typeof value === 'string') {
    if (newIds.has(value)) return '<new id>';
    if (ISO_TIME.test(value) && Date.parse(value) >= since) return '<now>';
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => normalise(item, newIds, since));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        // A new call's token is random, like its id.
        if (key === 'callToken' && item !== null) return [key, '<token>'];
        // An event stores the call as JSON text: compared as what it says.
        if (key === 'call' && typeof item === 'string' && item.startsWith('{')) return [key, { $json: normalise(JSON.parse(item), newIds, since) }];
        return [key, normalise(item, newIds, since)];
      }),
    );
  }
  return value;
}

/**
 * The id of the call a request recorded, if it recorded one.
 * @param {Answer} answer
 */
function createdCallId(answer) {
  if (answer.status !== 201) return null;
  const { body } = answer;
  const call = body && typeof body === 'object' ? /** @type {{ call?: { _id?: unknown } }} */ (body).call : undefined;
  return typeof call?._id === 'string' ? call._id : null;
}

/**
 * Sends one request to both servers and compares the answers, key order included (it is in the JSON
 * on the wire), and for a recorded call the documents stored.
 * @param {{ url: string }} ours
 * @param {{ url: string }} baseline
 * @param {import('./scenarios').Request} request
 * @param {import('mongodb').Db} db
 * @param {{ eventsOptional?: boolean }} [options] the baseline's place holds another build (a before/after run):
 *   a call without any events work on one side is compared without it, and the calls' outboxes are not compared
 * @returns {Promise<{ ours: Answer, baseline: Answer, same: boolean, difference?: string, note?: string }>}
 */
async function compare(ours, baseline, request, db, { eventsOptional = false } = {}) {
  const since = Date.now() - 1000;
  const a = await send(ours.url, request);
  const b = await send(baseline.url, request);
  const newIds = new Set([createdCallId(a), createdCallId(b)].filter((id) => id !== null));
  const left = { status: a.status, headers: a.headers, body: normalise(a.body, newIds, since) };
  const right = { status: b.status, headers: b.headers, body: normalise(b.body, newIds, since) };
  if (!sameInOrder(left, right)) {
    return { ours: a, baseline: b, same: false, difference: describe(left, right) };
  }
  const idA = createdCallId(a);
  const idB = createdCallId(b);
  if (idA && idB) {
    const relayed = await relaysDone(db, [idA, idB]);
    if (!relayed) return { ours: a, baseline: b, same: false, difference: `a call's event was not relayed within ${RELAY_WAIT_MS / 1000} s (its mark is still in event_outbox)` };
    const calls = db.collection('calls');
    const events = db.collection('events');
    const eventsA = await events.find({ callId: idA }).sort({ callSeq: 1 }).toArray();
    const eventsB = await events.find({ callId: idB }).sort({ callSeq: 1 }).toArray();
    for (const event of [...eventsA, ...eventsB]) newIds.add(String(event._id));
    /** @type {any} */
    let rawA = await calls.findOne({ _id: new ObjectId(idA) });
    /** @type {any} */
    let rawB = await calls.findOne({ _id: new ObjectId(idB) });
    let note;
    if (eventsOptional && rawB && !('eventSeq' in rawB) && eventsB.length === 0) {
      // A build from before the events: the rest of the document must still be the same.
      const { pendingEvents, eventSeq, ...rest } = rawA ?? {};
      rawA = rest;
      note = 'compared without the events work, which the build in the baseline\'s place predates';
    } else if (eventsOptional && rawA && rawB) {
      // Another build keeps its outbox its own way (relayed events left in the call, or taken out): the
      // outbox is internal and never answered, so the rest of the document is compared.
      const { pendingEvents: outboxA, ...restA } = rawA;
      const { pendingEvents: outboxB, ...restB } = rawB;
      rawA = restA;
      rawB = restB;
    }
    const storedA = normalise(rawA, newIds, since);
    const storedB = normalise(rawB, newIds, since);
    if (!sameInOrder(storedA, storedB)) {
      return { ours: a, baseline: b, same: false, difference: `stored documents differ:\n${describe(storedA, storedB)}` };
    }
    if (!note) {
      const feedA = normalise(eventsA, newIds, since);
      const feedB = normalise(eventsB, newIds, since);
      if (eventsA.length === 0 || !sameInOrder(feedA, feedB)) {
        return { ours: a, baseline: b, same: false, difference: `stored events differ (or there are none):\n${describe(feedA, feedB)}` };
      }
    }
    return { ours: a, baseline: b, same: true, ...(note ? { note } : {}) };
  }
  return { ours: a, baseline: b, same: true };
}

/**
 * Waits until the relays have moved the calls' events to the feed and deleted their marks; false if
 * they are still there after RELAY_WAIT_MS.
 * @param {import('mongodb').Db} db
 * @param {string[]} callIds
 */
async function relaysDone(db, callIds) {
  const marks = db.collection('event_outbox');
  const deadline = Date.now() + RELAY_WAIT_MS;
  // A mark per event names its call (`callId`); a mark from before marks per event is the call's own id.
  const ids = callIds.map((id) => new ObjectId(id));
  const filter = { $or: [{ callId: { $in: ids } }, { _id: { $in: ids } }] };
  while ((await marks.countDocuments(filter)) > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/**
 * @param {unknown} left
 * @param {unknown} right
 */
function sameInOrder(left, right) {
  return isDeepStrictEqual(left, right) && JSON.stringify(left) === JSON.stringify(right);
}

/**
 * @param {unknown} left
 * @param {unknown} right
 */
function describe(left, right) {
  const cut = (/** @type {unknown} */ value) => {
    const text = JSON.stringify(value);
    return text.length > 1500 ? `${text.slice(0, 1500)}...` : text;
  };
  return `  ours:     ${cut(left)}\n  baseline: ${cut(right)}`;
}

module.exports = { send, compare, relaysDone };
