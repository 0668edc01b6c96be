// @ts-check
'use strict';

/**
 * The benchmark's baseline: the calls service's hot routes written by hand on bare Fastify and the
 * raw `mongodb` driver, with no Nest, mongoose, passport or class-validator. It does the same work
 * for the same requests: the same HS256 verification (jsonwebtoken with a KeyObject, the algorithm
 * pinned), the same claim checks, the same validation and normalisation, the same queries, the same
 * stored document and the same JSON, errors included. `npm run bench` checks that before it measures.
 *
 * Settings come from the environment like the service's: PORT, HOST, MONGODB_URI (with the database
 * name), JWT_SECRET, DEFAULT_CALLER_ID.
 */

const { createSecretKey } = require('node:crypto');
const { STATUS_CODES } = require('node:http');
const Fastify = require('fastify');
const jwt = require('jsonwebtoken');
const { parsePhoneNumberFromString } = require('libphonenumber-js/max');
const { MongoClient, ObjectId } = require('mongodb');

const BODY_LIMIT_BYTES = 100 * 1024;
const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
const TYPED_NUMBER = /^\+[\d\s()-]+$/;
const SEPARATORS = /[\s()-]/g;
const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_TYPED_LENGTH = 32;
const PHONE_MESSAGE = 'phoneNumber must be a valid phone number in E.164 format, such as +14165550199';
const INITIATE_FIELDS = new Set(['contactId', 'phoneNumber']);

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
 * The bearer token's user, or a 401 with the service's messages.
 * @param {import('fastify').FastifyRequest} request
 * @param {import('node:crypto').KeyObject} key
 */
function authenticate(request, key) {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /(\S+)\s+(\S+)/.exec(header) : null;
  if (!match || match[1].toLowerCase() !== 'bearer') throw new HttpError(401, 'Missing bearer token');
  /** @type {Record<string, unknown>} */
  let claims;
  try {
    claims = /** @type {Record<string, unknown>} */ (jwt.verify(match[2], key, { algorithms: ['HS256'] }));
  } catch (error) {
    throw new HttpError(401, error instanceof Error && error.name === 'TokenExpiredError' ? 'Token has expired' : 'Invalid bearer token');
  }
  const { sub, organizationId, role } = claims;
  if (typeof sub !== 'string' || !OBJECT_ID.test(sub)) throw new HttpError(401, 'Token has no valid sub (user id) claim');
  if (typeof organizationId !== 'string' || !OBJECT_ID.test(organizationId)) {
    throw new HttpError(401, 'Token has no valid organizationId claim');
  }
  return {
    userId: sub.toLowerCase(),
    organizationId: organizationId.toLowerCase(),
    ...(typeof role === 'string' ? { role } : {}),
  };
}

/**
 * Validates and normalises an initiate body; the messages and their order are class-validator's.
 * @param {unknown} body
 * @returns {{ contactId?: string, phoneNumber?: string }}
 */
function validateInitiate(body) {
  // Like the ValidationPipe: a body that is not an object validates as an empty one, and an array's
  // indexes are unknown properties.
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
  }
  if (details.length > 0) throw new HttpError(400, details.map((detail) => detail.message).join('; '), { details });
  return { limit: /** @type {number} */ (limit), cursor: typeof cursor === 'string' ? cursor : undefined };
}

const CURSOR_BYTES = 8 + 12;

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
    recordings: call.recordings.map((/** @type {any} */ recording) => ({
      url: recording.url,
      type: recording.type,
      createdAt: recording.createdAt.toISOString(),
    })),
    createdAt: call.createdAt.toISOString(),
    updatedAt: call.updatedAt.toISOString(),
  };
}

async function main() {
  const env = process.env;
  if (!env.MONGODB_URI || !env.JWT_SECRET) throw new Error('MONGODB_URI and JWT_SECRET must be set');
  const key = createSecretKey(Buffer.from(env.JWT_SECRET, 'utf8'));
  const callerId = env.DEFAULT_CALLER_ID || null;

  const client = new MongoClient(env.MONGODB_URI, { serverSelectionTimeoutMS: 2000 });
  await client.connect();
  const db = client.db();
  const calls = db.collection('calls');
  const contacts = db.collection('contacts');

  const app = Fastify({ bodyLimit: BODY_LIMIT_BYTES, logger: false });
  app.removeContentTypeParser('text/plain');

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
      console.error(error);
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

  app.post('/api/calls/sdk/initiate', async (request, reply) => {
    const user = authenticate(request, key);
    const dto = validateInitiate(request.body);
    const contact = dto.contactId ? await findContact(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? contact?.phoneNumber ?? contact?.phoneNumbers[0];
    if (!to) throw new HttpError(422, 'The contact has no phone number');
    const linked = contact ?? (await findContactByNumber(user.organizationId, to));
    if (!callerId) throw new HttpError(422, 'No caller ID is configured for this organization');
    const now = new Date();
    // The fields in the order mongoose writes them: schema order, then the timestamps.
    const call = {
      _id: new ObjectId(),
      organizationId: new ObjectId(user.organizationId),
      userId: new ObjectId(user.userId),
      provider: 'sinch',
      providerCallId: null,
      direction: 'outbound',
      status: 'initiated',
      from: callerId,
      to,
      contactId: linked ? linked._id : null,
      conversationId: null,
      providerPhoneNumber: callerId,
      startTime: now,
      answerTime: null,
      endTime: null,
      duration: null,
      endReason: null,
      recordings: [],
      createdAt: now,
      updatedAt: now,
    };
    await calls.insertOne(call);
    reply.code(201);
    return { success: true, call: toCallDto(call), message: 'Call recorded' };
  });

  app.get('/api/calls', async (request) => {
    const user = authenticate(request, key);
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

  app.get('/api/calls/:id', async (request) => {
    const user = authenticate(request, key);
    const { id } = /** @type {{ id: string }} */ (request.params);
    if (!OBJECT_ID.test(id)) throw new HttpError(400, 'id must be a 24-character hexadecimal id');
    const call = await calls.findOne({ _id: new ObjectId(id.toLowerCase()), organizationId: new ObjectId(user.organizationId) });
    if (!call) throw new HttpError(404, 'Call not found');
    return { success: true, call: toCallDto(call) };
  });

  const port = Number(env.PORT ?? 3001);
  await app.listen({ port, host: env.HOST ?? '127.0.0.1' });
  console.log(`baseline listening on ${env.HOST ?? '127.0.0.1'}:${port}`);

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
