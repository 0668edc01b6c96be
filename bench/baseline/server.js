// @ts-check
'use strict';

/**
 * The benchmark's baseline: the calls service's hot routes written by hand on bare Fastify and the
 * raw `mongodb` driver, with no Nest, mongoose, passport or class-validator. It does the same work
 * for the same requests: the same HS256 verification (jsonwebtoken with a KeyObject, the algorithm
 * pinned), the same claim checks, the same validation and normalisation, the same queries, the same
 * stored document and the same JSON, errors included. `npm run bench` checks that before it measures.
 *
 * Around that work it also does what the service does for every request: a request id (the caller's
 * X-Request-Id when sensible) in a header and in the one JSON log line per request, the security
 * headers, and a per-user rate limit with its X-RateLimit headers, all with the same values.
 *
 * Every change to a call also does the events work the service does (docs/events.md), written plainly: the
 * call goes in with its first event in its outbox, after a mark in `event_outbox`; a relay per organization,
 * under the organization's lease, numbers the events by unique insert, moves the head over them and deletes
 * their marks (one per event), writing no call; every second it sweeps the marks; and it answers
 * `GET /api/events` by point lookups on `_id`.
 *
 * Settings come from the environment like the service's: PORT, HOST, MONGODB_URI (with the database
 * name), MONGODB_WRITE_CONCERN, JWT_SECRET, DEFAULT_CALLER_ID, LOG_LEVEL, THROTTLE_LIMIT, THROTTLE_TTL_MS.
 */

const { createSecretKey, randomBytes, randomUUID } = require('node:crypto');
const { STATUS_CODES } = require('node:http');
const Fastify = require('fastify');
const jwt = require('jsonwebtoken');
const { parsePhoneNumberFromString } = require('libphonenumber-js/max');
const { MongoClient, ObjectId } = require('mongodb');
const pino = require('pino');

const BODY_LIMIT_BYTES = 100 * 1024;
const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
const TYPED_NUMBER = /^\+[\d\s()-]+$/;
const SEPARATORS = /[\s()-]/g;
const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_TYPED_LENGTH = 32;
const PHONE_MESSAGE = 'phoneNumber must be a valid phone number in E.164 format, such as +14165550199';
const INITIATE_FIELDS = new Set(['contactId', 'phoneNumber']);
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
const EVENT_ID = /^[0-9a-f]{24}:[0-9]{12}$/;
const EVENT_TYPES = ['call.initiated', 'call.ringing', 'call.answered', 'call.ended', 'call.recording.added', 'call.updated'];
const EVENT_QUERY_FIELDS = new Set(['after', 'type', 'callId', 'limit']);
/** The relay's and the call lock's leases, the sweep and the purge: the service's figures. */
const RELAY_LEASE_MS = 10_000;
const RELAY_HOLD_MS = 2_500;
const RELAY_GATHER_MS = 100;
/** Marks one relay run takes, and database operations of one kind in flight at once in it. */
const RELAY_BATCH = 100;
/** The head's copies of the newest events: how many, and the largest call (bytes of JSON) copied. */
const RECENT_EVENTS = 100;
const RECENT_CALL_BYTES = 10_000;
const RELAY_AT_ONCE = 25;
const SWEEP_MS = 1_000;
const SWEEP_BATCH = 500;
const PURGE_EVERY_MS = 10 * 60_000;
const PURGE_BATCH = 1_000;
const ORPHAN_MARK_MS = 5 * 60_000;
const UNWRITTEN_MARK_MS = 10_000;
const CALL_LOCK_MS = 5_000;
const CALL_LOCK_WAIT_MS = 8_000;
const STALE_LOCK_MS = 60_000;
const FEED_MAX_SCAN = 1_000;
const FEED_LOOKUPS_AT_ONCE = 50;

/** What @fastify/helmet sets, as the service configures it. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
    "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

class HttpError extends Error {
  /**
   * @param {number} statusCode
   * @param {string} message
   * @param {Record<string, unknown>} [extras]
   */
  constructor(statusCode, message, extras = {}) {
    super(message);
    this.statusCode = statusCode;
    this.extras = extras;
  }
}

/**
 * @param {number} statusCode
 * @param {string} message
 * @param {Record<string, unknown>} [extras]
 */
function errorBody(statusCode, message, extras = {}) {
  return { success: false, statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extras };
}

/** @param {string} input */
function normalizePhoneNumber(input) {
  if (input.length > MAX_TYPED_LENGTH || !TYPED_NUMBER.test(input)) return null;
  const compact = input.replace(SEPARATORS, '');
  if (!E164.test(compact)) return null;
  const parsed = parsePhoneNumberFromString(compact);
  return parsed?.isValid() ? parsed.number : null;
}

/** @param {unknown} value */
const isValidE164 = (value) => typeof value === 'string' && normalizePhoneNumber(value) === value;

/**
 * The bearer token's user, or the 401 the service would answer, decided once per request: the rate
 * limiter needs the verified user before the route does.
 * @param {import('fastify').FastifyRequest} request
 * @param {import('node:crypto').KeyObject} key
 * @returns {{ userId: string, organizationId: string, role?: string } | HttpError}
 */
function verifyBearer(request, key) {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /(\S+)\s+(\S+)/.exec(header) : null;
  if (!match || match[1].toLowerCase() !== 'bearer') return new HttpError(401, 'Missing bearer token');
  /** @type {Record<string, unknown>} */
  let claims;
  try {
    claims = /** @type {Record<string, unknown>} */ (jwt.verify(match[2], key, { algorithms: ['HS256'] }));
  } catch (error) {
    return new HttpError(401, error instanceof Error && error.name === 'TokenExpiredError' ? 'Token has expired' : 'Invalid bearer token');
  }
  const { sub, organizationId, role } = claims;
  if (typeof sub !== 'string' || !OBJECT_ID.test(sub)) return new HttpError(401, 'Token has no valid sub (user id) claim');
  if (typeof organizationId !== 'string' || !OBJECT_ID.test(organizationId)) {
    return new HttpError(401, 'Token has no valid organizationId claim');
  }
  return {
    userId: sub.toLowerCase(),
    organizationId: organizationId.toLowerCase(),
    ...(typeof role === 'string' ? { role } : {}),
  };
}

/**
 * THROTTLE_LIMIT requests per THROTTLE_TTL_MS per user (per IP address without a valid token), with
 * the numbers and headers of @nestjs/throttler's in-memory storage: a log of each key's hits in the
 * window, and a window end per key. The log is pruned from its oldest end, as a hand-written limiter
 * would, where the library filters the whole log on every request.
 * @param {number} limit
 * @param {number} ttlMs
 */
function rateLimiter(limit, ttlMs) {
  /** @type {Map<string, { hits: number[], head: number, expiresAt: number, blockExpiresAt: number }>} */
  const keys = new Map();
  setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of keys) if (entry.expiresAt <= now && entry.blockExpiresAt <= now && entry.hits.length === entry.head) keys.delete(key);
  }, ttlMs).unref();
  /**
   * @param {string} key
   * @param {import('fastify').FastifyReply} reply
   */
  return (key, reply) => {
    const now = Date.now();
    let entry = keys.get(key);
    if (!entry) {
      entry = { hits: [], head: 0, expiresAt: now + ttlMs, blockExpiresAt: 0 };
      keys.set(key, entry);
    }
    while (entry.head < entry.hits.length && entry.hits[entry.head] <= now) entry.head++;
    if (entry.head > 1024 && entry.head * 2 > entry.hits.length) {
      entry.hits = entry.hits.slice(entry.head);
      entry.head = 0;
    }
    let timeToExpire = Math.ceil((entry.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      entry.expiresAt = now + ttlMs;
      timeToExpire = Math.ceil(ttlMs / 1000);
    }
    if (entry.blockExpiresAt > 0 && entry.blockExpiresAt <= now) entry.blockExpiresAt = 0;
    if (entry.blockExpiresAt === 0) entry.hits.push(now + ttlMs);
    const totalHits = entry.hits.length - entry.head;
    if (totalHits > limit && entry.blockExpiresAt === 0) entry.blockExpiresAt = now + ttlMs;
    if (entry.blockExpiresAt > 0) {
      const retryAfter = Math.ceil((entry.blockExpiresAt - now) / 1000);
      reply.header('Retry-After', retryAfter);
      throw new HttpError(429, `Too many requests; try again in ${retryAfter} s`);
    }
    reply.header('X-RateLimit-Limit', limit);
    reply.header('X-RateLimit-Remaining', Math.max(0, limit - totalHits));
    reply.header('X-RateLimit-Reset', timeToExpire);
  };
}

/**
 * Validates and normalises an initiate body; the messages and their order are class-validator's.
 * @param {unknown} body
 * @returns {{ contactId?: string, phoneNumber?: string }}
 */
function validateInitiate(body) {
  // Like the service's ValidationPipe: no body (or null) is refused outright, any other body that is
  // not an object validates as an empty one, and an array's indexes are unknown properties.
  if (body === undefined || body === null) throw new HttpError(400, 'The request body must be a JSON object');
  const input = /** @type {Record<string, unknown>} */ (typeof body === 'object' && body !== null ? body : {});
  /** @type {{ field: string, message: string }[]} */
  const details = [];
  for (const key of Object.keys(input)) {
    if (!INITIATE_FIELDS.has(key)) details.push({ field: key, message: `property ${key} should not exist` });
  }
  let { contactId, phoneNumber } = input;
  if (typeof phoneNumber === 'string') phoneNumber = normalizePhoneNumber(phoneNumber) ?? phoneNumber;
  else if (Array.isArray(phoneNumber)) {
    phoneNumber = phoneNumber.map((item) => (typeof item === 'string' ? (normalizePhoneNumber(item) ?? item) : item));
  }
  // class-validator checks IsDefined first, then the other decorators bottom-up.
  if (contactId !== undefined || phoneNumber === undefined) {
    if (contactId === undefined || contactId === null) details.push({ field: 'contactId', message: 'contactId or phoneNumber is required' });
    if (typeof contactId !== 'string' || !OBJECT_ID.test(contactId)) {
      details.push({ field: 'contactId', message: 'contactId must be a 24-character hexadecimal id' });
    }
    if (typeof contactId !== 'string') details.push({ field: 'contactId', message: 'contactId must be a string' });
  }
  if (phoneNumber !== undefined) {
    if (!isValidE164(phoneNumber)) details.push({ field: 'phoneNumber', message: PHONE_MESSAGE });
    if (typeof phoneNumber !== 'string' || phoneNumber.length > 32) {
      details.push({ field: 'phoneNumber', message: 'phoneNumber must be shorter than or equal to 32 characters' });
    }
    if (typeof phoneNumber !== 'string') details.push({ field: 'phoneNumber', message: 'phoneNumber must be a string' });
  }
  if (details.length > 0) throw new HttpError(400, details.map((detail) => detail.message).join('; '), { details });
  return {
    ...(contactId !== undefined ? { contactId: /** @type {string} */ (contactId) } : {}),
    ...(phoneNumber !== undefined ? { phoneNumber: /** @type {string} */ (phoneNumber) } : {}),
  };
}

/**
 * Validates the list's query string as ListCallsQueryDto does, for the parameters the benchmark
 * sends: `limit` and `cursor`. Any other parameter is refused, as an unknown one would be.
 * @param {Record<string, unknown>} query
 */
function validateListQuery(query) {
  /** @type {{ field: string, message: string }[]} */
  const details = [];
  for (const key of Object.keys(query)) {
    if (key !== 'limit' && key !== 'cursor') details.push({ field: key, message: `property ${key} should not exist` });
  }
  let limit = query.limit;
  if (typeof limit === 'string' && /^\d{1,4}$/.test(limit)) limit = Number(limit);
  if (limit === undefined || limit === null) limit = 20;
  else {
    if (typeof limit !== 'number' || limit > 100) details.push({ field: 'limit', message: 'limit must not be greater than 100' });
    if (typeof limit !== 'number' || limit < 1) details.push({ field: 'limit', message: 'limit must not be less than 1' });
    if (!Number.isInteger(limit)) details.push({ field: 'limit', message: 'limit must be an integer number' });
  }
  const { cursor } = query;
  if (cursor !== undefined && cursor !== null) {
    if (typeof cursor !== 'string' || cursor.length > 64) details.push({ field: 'cursor', message: 'cursor must be shorter than or equal to 64 characters' });
    if (typeof cursor !== 'string') details.push({ field: 'cursor', message: 'cursor must be a string' });
    else if (!/^[A-Za-z0-9_-]{26}[AEIMQUYcgkosw048]$/.test(cursor)) details.push({ field: 'cursor', message: 'cursor is not a cursor this service issued' });
  }
  if (details.length > 0) throw new HttpError(400, details.map((detail) => detail.message).join('; '), { details });
  return { limit: /** @type {number} */ (limit), cursor: typeof cursor === 'string' ? cursor : undefined };
}

/**
 * Validates the feed's query as ListEventsQueryDto does, messages in class-validator's order.
 * @param {Record<string, unknown>} query
 */
function validateEventsQuery(query) {
  /** @type {{ field: string, message: string }[]} */
  const details = [];
  for (const key of Object.keys(query)) {
    if (!EVENT_QUERY_FIELDS.has(key)) details.push({ field: key, message: `property ${key} should not exist` });
  }
  const { after, callId } = query;
  if (after !== undefined && after !== null) {
    if (typeof after !== 'string' || !EVENT_ID.test(after)) details.push({ field: 'after', message: 'after must be an event id this service issued' });
    if (typeof after !== 'string') details.push({ field: 'after', message: 'after must be a string' });
  }
  let type = query.type;
  if (typeof type === 'string') type = [type];
  if (type !== undefined && type !== null) {
    if (!Array.isArray(type) || !type.every((item) => EVENT_TYPES.includes(item))) {
      details.push({ field: 'type', message: `each value in type must be one of the following values: ${EVENT_TYPES.join(', ')}` });
    }
    if (!Array.isArray(type) || type.length > EVENT_TYPES.length) details.push({ field: 'type', message: `type must contain no more than ${EVENT_TYPES.length} elements` });
    if (!Array.isArray(type)) details.push({ field: 'type', message: 'type must be an array' });
  }
  if (callId !== undefined && callId !== null) {
    if (typeof callId !== 'string' || !OBJECT_ID.test(callId)) details.push({ field: 'callId', message: 'callId must be a 24-character hexadecimal id' });
    if (typeof callId !== 'string') details.push({ field: 'callId', message: 'callId must be a string' });
  }
  let limit = query.limit;
  if (typeof limit === 'string' && /^\d{1,4}$/.test(limit)) limit = Number(limit);
  if (limit === undefined || limit === null) limit = 100;
  else {
    if (typeof limit !== 'number' || limit > 500) details.push({ field: 'limit', message: 'limit must not be greater than 500' });
    if (typeof limit !== 'number' || limit < 1) details.push({ field: 'limit', message: 'limit must not be less than 1' });
    if (!Number.isInteger(limit)) details.push({ field: 'limit', message: 'limit must be an integer number' });
  }
  if (details.length > 0) throw new HttpError(400, details.map((detail) => detail.message).join('; '), { details });
  return {
    after: /** @type {string | undefined} */ (after ?? undefined),
    types: Array.isArray(type) ? new Set(type) : null,
    callId: typeof callId === 'string' ? callId.toLowerCase() : undefined,
    limit: /** @type {number} */ (limit),
  };
}

/** `<organizationId>:<12 digits>`, the feed's ids. @param {string} organizationId @param {number} seq */
const eventId = (organizationId, seq) => `${organizationId}:${String(seq).padStart(12, '0')}`;

/** @param {unknown} error */
const isDuplicateKey = (error) => typeof error === 'object' && error !== null && /** @type {{ code?: unknown }} */ (error).code === 11000;

/**
 * Inserts the document; false when its `_id` is taken (the one atomic claim on both databases).
 * @param {import('mongodb').Collection<any>} collection
 * @param {Record<string, unknown>} document
 */
async function insertUnique(collection, document) {
  try {
    await collection.insertOne(document);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/**
 * The head's write, as the service's headWrite: `seq`, `settledThrough`, and the copies of the added events alone,
 * each in its slot (`copies.s<seq % RECENT_EVENTS>`), none for a call over RECENT_CALL_BYTES.
 * @param {number} seq @param {number} settledThrough @param {number} purgedThrough @param {any[]} added
 */
function headWrite(seq, settledThrough, purgedThrough, added) {
  /** @type {Record<string, unknown>} */
  const set = { seq, settledThrough };
  /** @type {Record<string, ''>} */
  const unset = { recent: '' };
  for (const event of added.slice(-RECENT_EVENTS)) {
    const slot = `copies.s${Number(event._id.slice(25)) % RECENT_EVENTS}`;
    if (event.call.length <= RECENT_CALL_BYTES) set[slot] = event;
    else unset[slot] = '';
  }
  return { $set: set, $unset: unset, $setOnInsert: { purgedThrough } };
}

/** A mark's id, as the service's markId: `<callId>:<seq, 9 digits>`. @param {ObjectId | string} callId @param {number} seq */
function markIdOf(callId, seq) {
  return `${typeof callId === 'string' ? callId : callId.toHexString()}:${String(seq).padStart(9, '0')}`;
}

/**
 * Takes the lease on `id` if it is free or expired, as the service's Leases.tryAcquire: the token, or null.
 * @param {import('mongodb').Collection<any>} collection
 * @param {unknown} id
 * @param {number} leaseMs
 */
async function tryLease(collection, id, leaseMs) {
  return (await tryLeaseNoting(collection, id, leaseMs))?.token ?? null;
}

/**
 * tryLease, and whether the lease was taken over from a holder whose lease had run out (the relay probes past
 * the head then).
 * @param {import('mongodb').Collection<any>} collection
 * @param {unknown} id
 * @param {number} leaseMs
 * @returns {Promise<{ token: string, tookOver: boolean } | null>}
 */
async function tryLeaseNoting(collection, id, leaseMs) {
  const token = randomUUID();
  let tookOver = false;
  for (let round = 0; ; round++) {
    if (await insertUnique(collection, { _id: id, token, expiresAt: new Date(Date.now() + leaseMs) })) return { token, tookOver };
    const held = await collection.findOne({ _id: id });
    if (held && held.expiresAt.getTime() >= Date.now()) return null;
    if (round === 3) return null;
    if (held) {
      await collection.deleteOne({ _id: id, token: held.token });
      tookOver = true;
    }
  }
}

/**
 * The events work: the mark before a call's write, the relay after it, the sweep, and the feed's pages.
 * @param {import('mongodb').Db} db
 * @param {import('pino').Logger} logger
 */
function eventsOf(db, logger) {
  const calls = db.collection('calls');
  const marks = db.collection('event_outbox');
  // Their ids are strings (`<organizationId>:<number>`, the organization's id).
  /** @type {import('mongodb').Collection<any>} */
  const events = db.collection('events');
  /** @type {import('mongodb').Collection<any>} */
  const heads = db.collection('event_heads');
  /** @type {import('mongodb').Collection<any>} */
  const relayLeases = db.collection('event_relay_leases');
  const callLocks = db.collection('call_locks');
  const retentionMs = Number(process.env.EVENT_RETENTION_DAYS || 30) * 86_400_000;
  /** @type {Map<string, boolean>} organizations to relay (true: even without marks, a lease that ran out) */
  const queued = new Map();
  /** @type {Set<string>} */
  const running = new Set();
  /** @type {Map<string, number>} */
  const lastPurge = new Map();
  let lastLockPurge = Date.now();

  /**
   * The call's lock around `work`, as the service's CallLockService: a lease, waited for with jittered retries.
   * @template T @param {ObjectId} callId @param {() => Promise<T>} work @returns {Promise<T>}
   */
  async function withCallLock(callId, work) {
    const deadline = Date.now() + CALL_LOCK_WAIT_MS;
    let delay = 5;
    let token = await tryLease(callLocks, callId, CALL_LOCK_MS);
    while (!token) {
      if (Date.now() >= deadline) throw new Error('The call is being updated by other requests');
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay));
      delay = Math.min(delay * 1.5, 50);
      token = await tryLease(callLocks, callId, CALL_LOCK_MS);
    }
    try {
      return await work();
    } finally {
      await callLocks.deleteOne({ _id: callId, token }).catch((error) => logger.warn(`Could not release the lock of call ${callId}: ${error}`));
      if (Date.now() - lastLockPurge >= PURGE_EVERY_MS) {
        lastLockPurge = Date.now();
        callLocks.deleteMany({ expiresAt: { $lt: new Date(Date.now() - STALE_LOCK_MS) } }).catch(() => undefined);
      }
    }
  }

  /** @param {string} organizationId @param {boolean} [recovering] a lease that ran out, to look at even without marks */
  function enqueue(organizationId, recovering = false) {
    queued.set(organizationId, recovering || (queued.get(organizationId) ?? false));
    if (running.has(organizationId)) return;
    running.add(organizationId);
    drain(organizationId).finally(() => running.delete(organizationId));
  }

  /** @param {string} organizationId */
  async function drain(organizationId) {
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      const recovering = queued.get(organizationId);
      if (recovering === undefined) return;
      queued.delete(organizationId);
      const lease = await tryLeaseNoting(relayLeases, organizationId, RELAY_LEASE_MS).catch((error) => {
        logger.warn(`Could not take the event relay lease of organization ${organizationId}: ${error}`);
        return null;
      });
      if (!lease) return;
      const heldSince = Date.now();
      /** @type {any} the head as this relay last wrote it, while it holds the lease */
      let head;
      try {
        // Writes that came during a batch make the next one under the same lease, while it has most of its time left.
        for (let tookOver = lease.tookOver; ; tookOver = false) {
          const run = await relay(organizationId, tookOver, head);
          head = run.head;
          if (run.more) queued.set(organizationId, queued.get(organizationId) ?? false);
          if (!queued.has(organizationId) || Date.now() - heldSince > RELAY_HOLD_MS) break;
          queued.delete(organizationId);
          await new Promise((resolve) => setTimeout(resolve, RELAY_GATHER_MS));
        }
        await relayLeases.deleteOne({ _id: organizationId, token: lease.token }).catch(() => undefined);
      } catch (error) {
        logger.warn(`Could not relay the events of organization ${organizationId}: ${error}`);
        // Stopped before deleting the marks: the lease runs out now, and whoever takes it next probes from settledThrough.
        await relayLeases.updateOne({ _id: organizationId, token: lease.token }, { $set: { expiresAt: new Date(0) } }).catch(() => undefined);
        queued.delete(organizationId);
        return;
      }
    }
  }

  /**
   * `work` for every item, at most RELAY_AT_ONCE at a time, in order; its answers' promises, in that order.
   * @template T, R @param {T[]} items @param {(item: T, index: number) => Promise<R>} work @returns {Promise<R>[]}
   */
  function inParallel(items, work) {
    /** @type {Promise<R>[]} */
    const results = [];
    /** @type {Promise<unknown>[]} */
    const done = [];
    items.forEach((item, index) => {
      const result = (done[index - RELAY_AT_ONCE] ?? Promise.resolve()).then(() => work(item, index));
      results.push(result);
      done.push(result.catch(() => undefined));
    });
    return results;
  }

  /**
   * Under the organization's lease, as the service's relay, which writes no call: a batch of the organization's
   * marks (one per event, in `_id` order), their calls read in one query, their events inserted in one ordered
   * insert, the head moved over them (with `settledThrough`, and the new events' copies in their slots), then the
   * marks deleted in one operation; past the head (from `settledThrough`) only after taking over a lease that
   * ran out. Calls marked whole (a mark per call, from before) have their unmarked events taken out under their lock.
   * Answers whether more may be waiting, and the head as written (read again only under a new lease).
   * @param {string} organizationId @param {boolean} tookOver @param {any} [written] @returns {Promise<{ more: boolean, head: any }>}
   */
  async function relay(organizationId, tookOver, written) {
    const batchMarks = await marks.find({ organizationId: new ObjectId(organizationId) }).sort({ _id: 1 }).limit(RELAY_BATCH).toArray();
    if (batchMarks.length === 0 && !tookOver) return { more: false, head: written };
    const head = written ?? (await heads.findOne({ _id: organizationId }, { projection: { copies: 0, recent: 0 } })) ?? { _id: organizationId, seq: 0, purgedThrough: 0 };
    const settledThrough = head.settledThrough ?? head.seq;
    const settledNow = tookOver ? settledThrough : head.seq;
    let seq = Math.max(settledNow, head.purgedThrough);
    /** @type {unknown[]} the marks to delete once the head covers their events */
    const forget = [];
    /** @type {Map<string, number>} events past settledThrough, of a relay that stopped before deleting their marks */
    const relayed = new Map();
    /** @type {Map<string, { callId: ObjectId, marks: any[] }>} */
    const wanted = new Map();
    const want = (/** @type {ObjectId} */ callId) => {
      const key = callId.toHexString();
      let entry = wanted.get(key);
      if (!entry) wanted.set(key, (entry = { callId, marks: [] }));
      return entry;
    };
    /** @type {any[]} the events past the head the probe found: into the head's copies too */
    const pastHead = [];
    if (tookOver) {
      for (let next = await events.findOne({ _id: eventId(organizationId, seq + 1) }); next; next = await events.findOne({ _id: eventId(organizationId, seq + 1) })) {
        seq++;
        if (seq > head.seq) pastHead.push(next);
        relayed.set(next.callId, Math.max(relayed.get(next.callId) ?? 0, next.callSeq));
        forget.push(markIdOf(next.callId, next.callSeq));
        want(new ObjectId(next.callId));
      }
    }
    seq = Math.max(seq, head.seq);
    for (const mark of batchMarks) want(typeof mark._id === 'string' ? mark.callId : mark._id).marks.push(mark);
    const ids = [...wanted.values()].map((entry) => entry.callId);
    const found = ids.length === 0 ? [] : await calls.find(ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } }, { projection: { organizationId: 1, pendingEvents: 1 } }).toArray();
    const callsById = new Map(found.map((call) => [call._id.toHexString(), call]));
    /** @type {Record<string, unknown>[]} */
    const inserts = [];
    /** @type {{ mark: any, call: any }[]} marks whose event is not (yet) in its call */
    const unwritten = [];
    /** @type {{ callId: ObjectId, through: number }[]} calls marked whole, with unmarked events */
    const unmarked = [];
    for (const [key, { callId, marks: callMarks }] of wanted) {
      const call = callsById.get(key);
      if (call?.organizationId.toHexString() !== organizationId) {
        for (const mark of callMarks) unwritten.push({ mark, call: undefined });
        continue;
      }
      const marked = new Set(callMarks.filter((mark) => typeof mark._id === 'string').map((mark) => mark.seq));
      /** @type {{ seq: number, type: string, createdAt: Date, changes: string[], call: string, marked?: boolean }[]} */
      const pending = [...(call.pendingEvents ?? [])].sort((a, b) => a.seq - b.seq);
      let done = relayed.get(key) ?? 0;
      for (const event of pending) {
        if (event.marked && !marked.has(event.seq)) continue;
        if (event.seq > done) {
          seq++;
          inserts.push({ _id: eventId(organizationId, seq), organizationId, callId: key, callSeq: event.seq, type: event.type, createdAt: event.createdAt, changes: event.changes, call: event.call });
          done = event.seq;
        }
        if (event.marked) forget.push(markIdOf(callId, event.seq));
      }
      for (const mark of callMarks) if (typeof mark._id === 'string' && !pending.some((event) => event.seq === mark.seq)) unwritten.push({ mark, call });
      if (pending.some((event) => !event.marked)) unmarked.push({ callId, through: done });
      else for (const mark of callMarks) if (typeof mark._id !== 'string') forget.push(mark._id);
    }
    if (inserts.length > 0) {
      await events.insertMany(inserts, { ordered: true }).catch((error) => {
        throw isDuplicateKey(error) ? new Error(`an event number of ${organizationId} was taken by another relay`) : error;
      });
    }
    if (seq > head.seq || settledNow !== settledThrough) {
      await heads.updateOne({ _id: organizationId }, headWrite(Math.max(seq, head.seq), settledNow, head.purgedThrough, [...pastHead, ...inserts]), { upsert: true });
    }
    if (forget.length > 0) await marks.deleteMany({ _id: { $in: /** @type {any[]} */ (forget) } });
    // Calls marked whole: their unmarked events out under each call's lock, re-read and written by _id.
    const settled = await Promise.allSettled(
      inParallel(unmarked, ({ callId, through }) =>
        withCallLock(callId, async () => {
          const current = await calls.findOne({ _id: callId }, { projection: { organizationId: 1, pendingEvents: 1 } });
          if (!current) return;
          const waiting = current.pendingEvents ?? [];
          const left = waiting.filter((/** @type {{ seq: number, marked?: boolean }} */ event) => event.marked || event.seq > through);
          if (left.length < waiting.length) await calls.updateOne({ _id: callId }, { $set: { pendingEvents: left } });
          if (!left.some((/** @type {{ marked?: boolean }} */ event) => !event.marked)) await marks.deleteOne({ _id: callId });
        }),
      ),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw /** @type {PromiseRejectedResult} */ (failed).reason;
    await Promise.allSettled(
      inParallel(unwritten, async ({ mark, call }) => {
        const age = Date.now() - mark.markedAt.getTime();
        if (!call) {
          if (age > ORPHAN_MARK_MS) await marks.deleteOne({ _id: mark._id, markedAt: { $lt: new Date(Date.now() - ORPHAN_MARK_MS) } });
          return;
        }
        if (age < UNWRITTEN_MARK_MS || typeof mark._id !== 'string') return;
        await withCallLock(mark.callId, async () => {
          const current = await calls.findOne({ _id: mark.callId }, { projection: { pendingEvents: 1 } });
          if (current && !(current.pendingEvents ?? []).some((/** @type {{ seq: number }} */ event) => event.seq === mark.seq)) await marks.deleteOne({ _id: mark._id });
        });
      }),
    );
    const purgedThrough = await purge(organizationId, head.purgedThrough, Math.max(seq, head.seq));
    return { more: batchMarks.length === RELAY_BATCH && forget.length > 0, head: { _id: organizationId, seq: Math.max(seq, head.seq), settledThrough: settledNow, purgedThrough } };
  }

  /** Events older than the retention, oldest first, at most every 10 minutes per organization. */
  async function purge(/** @type {string} */ organizationId, /** @type {number} */ purgedThrough, /** @type {number} */ seq) {
    const now = Date.now();
    if (now - (lastPurge.get(organizationId) ?? 0) < PURGE_EVERY_MS) return purgedThrough;
    lastPurge.set(organizationId, now);
    let through = purgedThrough;
    for (let count = 0; count < PURGE_BATCH && through < seq; count++) {
      const oldest = await events.findOne({ _id: eventId(organizationId, through + 1) });
      if (oldest && oldest.createdAt.getTime() >= now - retentionMs) break;
      await heads.updateOne({ _id: organizationId }, { $set: { purgedThrough: through + 1 } });
      if (oldest) await events.deleteOne({ _id: oldest._id });
      through++;
    }
    return through;
  }

  const sweep = async () => {
    try {
      const organizations = new Set((await marks.find({}, { projection: { organizationId: 1 } }).limit(SWEEP_BATCH).toArray()).map((mark) => mark.organizationId.toHexString()));
      for (const organizationId of organizations) enqueue(organizationId);
      const now = Date.now();
      for (const lease of await relayLeases.find({}).toArray()) if (lease.expiresAt.getTime() < now) enqueue(lease._id, true);
    } catch (error) {
      logger.warn(`Could not look for waiting events: ${error}`);
    }
  };
  setInterval(sweep, SWEEP_MS).unref();
  void sweep();

  /**
   * A page of the organization's feed: point lookups on `_id` from `after`, up to the head.
   * @param {string} organizationId
   * @param {ReturnType<typeof validateEventsQuery>} query
   */
  async function page(organizationId, query) {
    const head = await heads.findOne({ _id: organizationId }, { projection: { seq: 1, purgedThrough: 1 } });
    const purgedThrough = head?.purgedThrough ?? 0;
    let last = purgedThrough;
    if (query.after) {
      if (!query.after.startsWith(`${organizationId}:`)) throw new HttpError(404, 'after is not an event of your organization');
      last = Number(query.after.slice(25));
      if (last < purgedThrough) {
        throw new HttpError(410, `Event ${query.after} is older than the events kept (EVENT_RETENTION_DAYS); read the feed again from its start, without after`);
      }
    }
    const filtered = query.types !== null || query.callId !== undefined;
    /** @type {unknown[]} */
    const found = [];
    let scanned = last;
    const scanLimit = Math.min(head?.seq ?? 0, last + (filtered ? Math.max(FEED_MAX_SCAN, query.limit) : query.limit));
    while (found.length < query.limit && scanned < scanLimit) {
      const size = Math.min(FEED_LOOKUPS_AT_ONCE, scanLimit - scanned, filtered ? FEED_LOOKUPS_AT_ONCE : query.limit - found.length);
      /** @type {Map<number, any>} the head's copies of the newest events, for a run among them */
      const copies = new Map();
      if (scanned + size > (head?.seq ?? 0) - RECENT_EVENTS) {
        const held = await heads.findOne({ _id: organizationId }, { projection: { copies: 1, recent: 1 } });
        for (const event of [...(held?.recent ?? []), ...Object.values(held?.copies ?? {})]) copies.set(Number(event._id.slice(25)), event);
      }
      const batch = await Promise.all(Array.from({ length: size }, (_, index) => copies.get(scanned + 1 + index) ?? events.findOne({ _id: eventId(organizationId, scanned + 1 + index) })));
      let end = false;
      for (const event of batch) {
        if (!event) {
          end = true;
          break;
        }
        scanned++;
        if ((!query.types || query.types.has(event.type)) && (!query.callId || event.callId === query.callId)) {
          found.push({
            id: event._id,
            type: event.type,
            createdAt: event.createdAt.toISOString(),
            organizationId: event.organizationId,
            data: { call: JSON.parse(event.call), changes: event.changes },
          });
        }
        if (found.length === query.limit) break;
      }
      if (end) break;
    }
    return { success: true, events: found, nextCursor: scanned > 0 ? eventId(organizationId, scanned) : (query.after ?? null) };
  }

  /** Before the call's insert or write that carries its event `seq`. @param {{ _id: ObjectId, organizationId: ObjectId }} call @param {number} seq */
  const mark = (call, seq) => insertUnique(marks, { _id: markIdOf(call._id, seq), organizationId: call.organizationId, callId: call._id, seq, markedAt: new Date() });

  return { mark, written: (/** @type {{ _id: ObjectId, organizationId: ObjectId }} */ call) => enqueue(call.organizationId.toHexString()), page };
}

const CURSOR_BYTES = 8 + 12;
/** The statistics' time unit: a call's start is stored as whole quarter-hours since the epoch. */
const QUARTER_HOUR_MS = 15 * 60_000;

/** @param {string} cursor the (startTime, _id) of a page's last call, as the service packs it */
function decodeTimeIdCursor(cursor) {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== CURSOR_BYTES || bytes.toString('base64url') !== cursor) return null;
  const time = new Date(Number(bytes.readBigInt64BE()));
  if (!Number.isFinite(time.getTime())) return null;
  return { time, id: new ObjectId(bytes.subarray(8).toString('hex')) };
}

/** @param {{ time: Date, id: ObjectId }} key */
function encodeTimeIdCursor({ time, id }) {
  const bytes = Buffer.alloc(CURSOR_BYTES);
  bytes.writeBigInt64BE(BigInt(time.getTime()));
  bytes.write(id.toHexString(), 8, 'hex');
  return bytes.toString('base64url');
}

/** @param {Date | null} date */
const iso = (date) => (date ? date.toISOString() : null);

/** The service's CallDto, field for field and in the same order. */
function toCallDto(/** @type {any} */ call) {
  const id = call._id.toHexString();
  return {
    _id: id,
    callId: id,
    callToken: call.callToken ?? null,
    provider: call.provider,
    providerCallId: call.providerCallId,
    direction: call.direction,
    status: call.status,
    from: call.from,
    to: call.to,
    contactId: call.contactId ? call.contactId.toHexString() : null,
    conversationId: call.conversationId,
    organizationId: call.organizationId.toHexString(),
    userId: call.userId.toHexString(),
    providerPhoneNumber: call.providerPhoneNumber,
    startTime: call.startTime.toISOString(),
    answerTime: iso(call.answerTime),
    endTime: iso(call.endTime),
    duration: call.duration,
    // Calls recorded before the field existed have no endReason at all.
    endReason: call.endReason ?? null,
    cost: call.cost ? { amount: call.cost.amount, currency: call.cost.currency } : null,
    recordings: call.recordings.map((/** @type {any} */ recording) => ({
      url: recording.url,
      type: recording.type,
      createdAt: recording.createdAt.toISOString(),
    })),
    // Calls recorded before the wrap-up fields existed have none of them.
    outcomeId: call.outcomeId ? call.outcomeId.toHexString() : null,
    notes: call.notes ?? null,
    tags: call.tags ?? [],
    // Every stored change bumps eventSeq; calls older than the outbox have none yet.
    version: call.eventSeq ?? 0,
    createdAt: call.createdAt.toISOString(),
    updatedAt: call.updatedAt.toISOString(),
  };
}

async function main() {
  const env = process.env;
  if (!env.MONGODB_URI || !env.JWT_SECRET) throw new Error('MONGODB_URI and JWT_SECRET must be set');
  const key = createSecretKey(Buffer.from(env.JWT_SECRET, 'utf8'));
  const callerId = env.DEFAULT_CALLER_ID || null;
  const writeConcern = !env.MONGODB_WRITE_CONCERN || env.MONGODB_WRITE_CONCERN === 'majority' ? 'majority' : Number(env.MONGODB_WRITE_CONCERN);
  const limitRate = rateLimiter(Number(env.THROTTLE_LIMIT || 300), Number(env.THROTTLE_TTL_MS || 60_000));
  const logger = pino({
    level: env.LOG_LEVEL || 'info',
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });

  const client = new MongoClient(env.MONGODB_URI, { serverSelectionTimeoutMS: 1500, writeConcern: { w: writeConcern } });
  await client.connect();
  const db = client.db();
  const calls = db.collection('calls');
  const contacts = db.collection('contacts');
  const phoneNumbers = db.collection('phone_numbers');
  const phoneNumberDefaults = db.collection('phone_number_defaults');
  const feed = eventsOf(db, logger);

  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    requestIdHeader: false,
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      const given = Array.isArray(header) ? header[0] : header;
      return given !== undefined && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    reply.headers(SECURITY_HEADERS);
    done();
  });
  // The service's one line per request; its health probes log at debug.
  app.addHook('onResponse', (request, reply, done) => {
    const method = request.method;
    const path = (request.url ?? '/').split('?', 1)[0] || '/';
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : path.startsWith('/health') ? 'debug' : 'info';
    logger[level]({ requestId: request.id, method, path, status, durationMs: Math.round(reply.elapsedTime) }, `${method} ${path} ${status}`);
    done();
  });

  /**
   * The service's guards, in its order: the rate limit (by verified user, else by IP), then the token.
   * @param {import('fastify').FastifyRequest} request
   * @param {import('fastify').FastifyReply} reply
   */
  const guard = (request, reply) => {
    const user = verifyBearer(request, key);
    limitRate(user instanceof HttpError ? `default:ip:${request.ip}` : `default:user:${user.userId}`, reply);
    if (user instanceof HttpError) throw user;
    return user;
  };

  app.setErrorHandler((/** @type {import('fastify').FastifyError} */ error, _request, reply) => {
    /** @type {ReturnType<typeof errorBody>} */
    let body;
    if (error instanceof HttpError) body = errorBody(error.statusCode, error.message, error.extras);
    else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') body = errorBody(413, 'Request body is too large');
    // The service answers these two with the status's name and Fastify's message (its filter's own
    // wording for them is never reached), so the baseline does too.
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') body = errorBody(415, 'Unsupported Media Type');
    else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      body = errorBody(error.statusCode, error.message);
    } else {
      logger.error(error);
      body = errorBody(500, 'Internal server error');
    }
    reply.code(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url}`));
  });

  /**
   * @param {string} organizationId
   * @param {string} id
   */
  async function findContact(organizationId, id) {
    const contact = await contacts.findOne({ _id: new ObjectId(id), organizationId: new ObjectId(organizationId) });
    if (!contact) throw new HttpError(404, 'Contact not found');
    return contact;
  }

  /**
   * @param {string} organizationId
   * @param {string} phoneNumber
   */
  function findContactByNumber(organizationId, phoneNumber) {
    const organization = new ObjectId(organizationId);
    return contacts.findOne(
      { $or: [{ organizationId: organization, phoneNumber }, { organizationId: organization, phoneNumbers: phoneNumber }] },
      { sort: { _id: 1 } },
    );
  }

  app.get('/health', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    return { status: 'ok', info: {}, error: {}, details: {} };
  });

  /**
   * The user's own number, else the organization's default, else DEFAULT_CALLER_ID, as the service's
   * PhoneNumbersService chooses.
   * @param {{ userId: string, organizationId: string }} user
   */
  async function resolveCallerId(user) {
    const organizationId = new ObjectId(user.organizationId);
    const own = await phoneNumbers.findOne({ organizationId, userIds: new ObjectId(user.userId) }, { sort: { _id: 1 } });
    if (own) return own.number;
    const marker = await phoneNumberDefaults.findOne({ _id: organizationId });
    if (marker?.phoneNumberId) {
      const organizationDefault = await phoneNumbers.findOne({ _id: marker.phoneNumberId, organizationId });
      if (organizationDefault) return organizationDefault.number;
    }
    if (callerId) return callerId;
    throw new HttpError(422, 'No caller ID is configured for this organization');
  }

  app.post('/api/calls/sdk/initiate', async (request, reply) => {
    const user = guard(request, reply);
    const dto = validateInitiate(request.body);
    const contact = dto.contactId ? await findContact(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? contact?.phoneNumber ?? contact?.phoneNumbers[0];
    if (!to) throw new HttpError(422, 'The contact has no phone number');
    const linked = contact ?? (await findContactByNumber(user.organizationId, to));
    const from = await resolveCallerId(user);
    const now = new Date();
    // The fields in the order mongoose writes them: schema order, then the timestamps.
    const call = {
      _id: new ObjectId(),
      organizationId: new ObjectId(user.organizationId),
      userId: new ObjectId(user.userId),
      provider: 'sinch',
      providerCallId: null,
      callToken: randomBytes(24).toString('base64url'),
      direction: 'outbound',
      status: 'initiated',
      from,
      to,
      contactId: linked ? linked._id : null,
      conversationId: null,
      providerPhoneNumber: from,
      startTime: now,
      answerTime: null,
      endTime: null,
      duration: null,
      endReason: null,
      cost: null,
      recordings: [],
      outcomeId: null,
      notes: null,
      tags: [],
      // What the statistics group and average by, derived as the service derives them.
      tagKeys: [],
      startQuarterHour: Math.floor(now.getTime() / QUARTER_HOUR_MS),
      ringSeconds: null,
      createdAt: now,
      updatedAt: now,
    };
    // The call's version is its first event's number.
    const answer = toCallDto({ ...call, eventSeq: 1 });
    // The call goes in with its first event in its outbox, after the mark that tells the relay.
    const stored = { ...call, pendingEvents: [{ seq: 1, type: 'call.initiated', createdAt: now, changes: [], call: JSON.stringify(answer), marked: true }], eventSeq: 1 };
    await feed.mark(call, 1);
    await calls.insertOne(stored);
    feed.written(call);
    reply.code(201);
    reply.header('ETag', `"${answer.version}"`);
    return { success: true, call: answer, message: 'Call recorded' };
  });

  app.get('/api/calls', async (request, reply) => {
    const user = guard(request, reply);
    const query = validateListQuery(/** @type {Record<string, unknown>} */ (request.query));
    /** @type {Record<string, unknown>} */
    const filter = { organizationId: new ObjectId(user.organizationId) };
    if (query.cursor) {
      const after = decodeTimeIdCursor(query.cursor);
      if (!after) throw new HttpError(400, 'cursor is not a cursor this service issued');
      filter.startTime = { $lte: after.time };
      filter.$and = [{ $or: [{ startTime: { $lt: after.time } }, { _id: { $lt: after.id } }] }];
    }
    const page = await calls.find(filter, { sort: { startTime: -1, _id: -1 }, limit: query.limit + 1 }).toArray();
    const hasMore = page.length > query.limit;
    const items = hasMore ? page.slice(0, query.limit) : page;
    const last = items[items.length - 1];
    return {
      success: true,
      calls: items.map(toCallDto),
      nextCursor: hasMore ? encodeTimeIdCursor({ time: last.startTime, id: last._id }) : null,
    };
  });

  app.get('/api/calls/:id', async (request, reply) => {
    const user = guard(request, reply);
    const { id } = /** @type {{ id: string }} */ (request.params);
    if (!OBJECT_ID.test(id)) throw new HttpError(400, 'id must be a 24-character hexadecimal id');
    const call = await calls.findOne({ _id: new ObjectId(id.toLowerCase()), organizationId: new ObjectId(user.organizationId) });
    if (!call) throw new HttpError(404, 'Call not found');
    const answer = toCallDto(call);
    // The call's version as its entity tag, strong.
    reply.header('ETag', `"${answer.version}"`);
    return { success: true, call: answer };
  });

  app.get('/api/events', async (request, reply) => {
    const user = guard(request, reply);
    const query = validateEventsQuery(/** @type {Record<string, unknown>} */ (request.query));
    return feed.page(user.organizationId, query);
  });

  const port = Number(env.PORT ?? 3001);
  await app.listen({ port, host: env.HOST ?? '127.0.0.1' });
  logger.info(`baseline listening on ${env.HOST ?? '127.0.0.1'}:${port}`);

  const shutdown = async () => {
    await app.close();
    await client.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
