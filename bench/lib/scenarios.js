// @ts-check
'use strict';

/**
 * The benchmark's data and requests. The initiate scenarios write into organizations of their own,
 * so the calls they write never change what the list and get scenarios read, and every load window
 * starts from the same data: whatever a window wrote is deleted before the next one.
 */

const { randomBytes } = require('node:crypto');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { ObjectId } = require('mongodb');
const { feedProbes, feedScenario, seedFeed } = require('./feed');

const JWT_SECRET = 'calls-service-bench-secret-0123456789';
const CALLER_ID = '+14165550100';
const SEEDED_CALLS = 150;
const PAGE_SIZE = 20;
/**
 * The users the load comes from, each with a token: a contact centre has many agents, and the
 * service's rate limiter keeps per-user state whose cost grows with each user's requests in the last
 * minute. With this many, even 2,500 requests a second are 150 a minute per user, under the
 * production limit of 300, so the limiter's state stays as large as production allows and no larger.
 */
const USERS = 1000;

const id = () => new ObjectId();

/**
 * @param {string} organizationId
 * @param {string} userId
 * @param {import('jsonwebtoken').SignOptions} [options]
 * @param {Record<string, unknown>} [claims]
 */
function bearer(organizationId, userId, options = { expiresIn: '6h' }, claims = { organizationId }) {
  return `Bearer ${jwt.sign({ sub: userId, ...claims }, JWT_SECRET, { algorithm: 'HS256', ...options })}`;
}

/**
 * A contact as the service stores one (the field order mongoose writes).
 * @param {ObjectId} organizationId
 * @param {Partial<Record<string, unknown>>} fields
 * @param {Date} at
 */
function contactDocument(organizationId, fields, at) {
  return {
    _id: id(),
    organizationId,
    firstName: 'Ada',
    lastName: null,
    email: null,
    company: null,
    phoneNumber: null,
    phoneNumbers: [],
    ...fields,
    createdAt: at,
    updatedAt: at,
  };
}

/** The built service under test: this checkout's, or the one BENCH_SERVICE_MAIN names. */
function builtService() {
  return process.env.BENCH_SERVICE_MAIN
    ? path.dirname(path.resolve(process.env.BENCH_SERVICE_MAIN))
    : path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src');
}

/** newCallRecord of the build under test, or of this checkout's build when that one predates it. */
function newCallRecordOf() {
  require('reflect-metadata');
  const thisBuild = path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src');
  for (const built of [builtService(), thisBuild]) {
    const file = path.join(built, 'calls', 'call-record.js');
    if (require('node:fs').existsSync(file)) return require(file).newCallRecord;
  }
  throw new Error('bench: build the service first (npm run build): dist has no calls/call-record.js');
}

/**
 * A call as the service stores one, made by the service's own newCallRecord (the built
 * calls/call-record.js), without a call token as the seed always had.
 * @param {ObjectId} organizationId
 * @param {ObjectId} userId
 * @param {Partial<Record<string, unknown>>} fields
 * @param {Date} at
 * @returns {Record<string, any>}
 */
function callDocument(organizationId, userId, fields, at) {
  return newCallRecordOf()(
    { organizationId, userId, provider: 'sinch', from: CALLER_ID, to: '+14165550199', callToken: null, startTime: at, ...fields, createdAt: at, updatedAt: at },
    at,
  );
}

/**
 * The indexes the service declares (its built schemas say which), so that both servers meet them
 * already built, whichever starts first.
 * @param {import('mongodb').Db} db
 */
async function createServiceIndexes(db) {
  require('reflect-metadata');
  // The build under test declares them.
  const built = builtService();
  const { CallSchema } = require(path.join(built, 'calls', 'schemas', 'call.schema.js'));
  const { ContactSchema } = require(path.join(built, 'contacts', 'schemas', 'contact.schema.js'));
  /** @type {[string, any][]} */
  const schemas = [['calls', CallSchema], ['contacts', ContactSchema]];
  try {
    const { PhoneNumberSchema } = require(path.join(built, 'phone-numbers', 'schemas', 'phone-number.schema.js'));
    schemas.push(['phone_numbers', PhoneNumberSchema]);
  } catch {
    // a build from before per-organization caller IDs
  }
  for (const [collection, schema] of schemas) {
    for (const [fields, options] of schema.indexes()) await db.collection(collection).createIndex(fields, options);
  }
}

/**
 * Writes the fixtures, after the service's indexes.
 * @param {import('mongodb').Db} db
 */
async function seed(db) {
  await createServiceIndexes(db);
  const contacts = db.collection('contacts');
  const calls = db.collection('calls');

  const userId = id();
  const orgs = { phone: id(), contact: id(), read: id(), other: id() };
  const base = Date.UTC(2025, 0, 6, 9, 0, 0);
  const at = (/** @type {number} */ minutes) => new Date(base + minutes * 60_000);

  // Each organization has a few other contacts, so the lookups are not in an empty collection.
  /** @type {ReturnType<typeof contactDocument>[]} */
  const contactDocs = [];
  for (const org of [orgs.phone, orgs.contact, orgs.read, orgs.other]) {
    for (let i = 0; i < 20; i++) {
      contactDocs.push(contactDocument(org, { firstName: `Contact ${i}`, phoneNumber: `+1416555${String(1000 + i)}` }, at(i)));
    }
  }
  const dialled = contactDocument(
    orgs.contact,
    { firstName: 'Grace', lastName: 'Hopper', company: 'Navy', phoneNumber: '+442071838750', phoneNumbers: ['+33612345678'] },
    at(30),
  );
  const noNumber = contactDocument(orgs.contact, { firstName: 'Nobody' }, at(31));
  const otherOrgsContact = contactDocument(orgs.other, { firstName: 'Stranger', phoneNumber: '+14165550199' }, at(32));
  contactDocs.push(dialled, noNumber, otherOrgsContact);
  await contacts.insertMany(contactDocs);

  // The read organization's history: calls in several states, some linked, some with recordings.
  const statuses = ['completed', 'no-answer', 'busy', 'completed', 'failed', 'canceled', 'initiated'];
  /** @type {ReturnType<typeof callDocument>[]} */
  const callDocs = [];
  for (let i = 0; i < SEEDED_CALLS; i++) {
    const start = at(60 + i * 7);
    const status = statuses[i % statuses.length];
    const done = status === 'completed';
    callDocs.push(
      callDocument(
        orgs.read,
        userId,
        {
          status,
          to: `+1416555${String(2000 + (i % 50))}`,
          contactId: i % 3 === 0 ? contactDocs[40 + (i % 20)]._id : null,
          providerCallId: `sinch-${i}`,
          startTime: start,
          answerTime: done ? new Date(start.getTime() + 5_000) : null,
          endTime: status === 'initiated' ? null : new Date(start.getTime() + 65_000),
          duration: done ? 60 : null,
          recordings: done && i % 2 === 0 ? [{ url: `https://recordings.example.com/${i}.mp3`, type: 'audio/mpeg', createdAt: new Date(start.getTime() + 70_000) }] : [],
        },
        start,
      ),
    );
  }
  // Other organizations' calls share the collection, as in production.
  for (let i = 0; i < SEEDED_CALLS; i++) callDocs.push(callDocument(orgs.other, userId, {}, at(60 + i * 5)));
  await calls.insertMany(callDocs);
  // The read organization's event feed, for the feed scenario.
  const feed = await seedFeed(db, orgs.read.toHexString(), callDocs.slice(0, SEEDED_CALLS));

  // Caller IDs: in the contact organization one agent has a number of their own and the others get the
  // organization's default; the other organizations have none, so their calls use DEFAULT_CALLER_ID.
  const ownNumberUser = id();
  const ownNumber = { _id: id(), organizationId: orgs.contact, number: '+14165550177', label: 'Desk', userIds: [ownNumberUser], createdAt: at(40), updatedAt: at(40) };
  const defaultNumber = { _id: id(), organizationId: orgs.contact, number: '+14165550188', label: 'Main line', userIds: [], createdAt: at(41), updatedAt: at(41) };
  await db.collection('phone_numbers').insertMany([ownNumber, defaultNumber]);
  await db.collection('phone_number_defaults').insertOne({ _id: orgs.contact, phoneNumberId: defaultNumber._id, updatedAt: at(41) });

  const newest = callDocs.slice(0, SEEDED_CALLS).reduce((a, b) => (a.startTime > b.startTime ? a : b));
  const withRecording = callDocs.find((call) => call.recordings.length > 0 && call.contactId);

  return {
    db,
    userId: userId.toHexString(),
    orgs: Object.fromEntries(Object.entries(orgs).map(([name, org]) => [name, org.toHexString()])),
    tokens: {
      phone: bearer(orgs.phone.toHexString(), userId.toHexString()),
      contact: bearer(orgs.contact.toHexString(), userId.toHexString()),
      read: bearer(orgs.read.toHexString(), userId.toHexString()),
    },
    ownNumberToken: bearer(orgs.contact.toHexString(), ownNumberUser.toHexString()),
    /** USERS tokens per organization, the first being `tokens`' user's. */
    agents: Object.fromEntries(
      ['phone', 'contact', 'read'].map((name) => [
        name,
        [userId, ...Array.from({ length: USERS - 1 }, id)].map((agent) => bearer(orgs[/** @type {'phone'} */ (name)].toHexString(), agent.toHexString())),
      ]),
    ),
    dialledContactId: dialled._id.toHexString(),
    noNumberContactId: noNumber._id.toHexString(),
    otherOrgsContactId: otherOrgsContact._id.toHexString(),
    newestCallId: newest._id.toHexString(),
    readCallId: /** @type {NonNullable<typeof withRecording>} */ (withRecording)._id.toHexString(),
    otherOrgsCallId: callDocs[SEEDED_CALLS]._id.toHexString(),
    feed,
  };
}

/** @typedef {Awaited<ReturnType<typeof seed>>} Fixtures */

/**
 * @typedef {object} Request
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} headers
 * @property {string} [body]
 */

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title what a reader sees in the table
 * @property {Request} request
 * @property {string[]} agents the Authorization headers the load rotates through (one per user), if any
 * @property {number} status the status every request must get
 * @property {() => Promise<void>} reset puts the data back as seeded
 * @property {() => Promise<void>} [drained] waits, after a window, until the work its requests left to do in
 *   the background (the event relay) is done, so that the window's CPU includes it
 * @property {(() => Promise<unknown>) | null} databaseWork the database operations one request makes,
 *   issued straight from the driver: what the database alone can do, with no HTTP server in the way
 */

/**
 * @param {string} method
 * @param {string} path
 * @param {string | null} authorization
 * @param {unknown} [body]
 * @param {string} [contentType]
 * @returns {Request}
 */
function request(method, path, authorization, body, contentType = 'application/json') {
  /** @type {Record<string, string>} */
  const headers = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = contentType;
  return { method, path, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) };
}

/**
 * @param {Fixtures} f
 * @returns {Scenario[]}
 */
function scenarios(f) {
  const contacts = f.db.collection('contacts');
  const calls = f.db.collection('calls');
  const written = { organizationId: { $in: [new ObjectId(f.orgs.phone), new ObjectId(f.orgs.contact)] } };
  // Every window starts from the seeded data: the calls an initiate window wrote would otherwise
  // lengthen the collection the next windows read.
  const writtenOrgs = [f.orgs.phone, f.orgs.contact];
  const reset = async () => {
    await calls.deleteMany(written);
    // And their events, so that every window's relay starts from an empty feed.
    await f.db.collection('events').deleteMany({ organizationId: { $in: writtenOrgs } });
    await f.db.collection('event_heads').deleteMany({ _id: { $in: /** @type {any[]} */ (writtenOrgs) } });
  };
  // A recorded call's event is relayed after the answer: the window's CPU counts it, and the next window
  // starts with nothing left to relay (whichever server relays it; the other one's sweep may take some).
  const drained = async () => {
    const deadline = Date.now() + 300_000;
    while ((await f.db.collection('event_outbox').countDocuments({ organizationId: { $in: writtenOrgs.map((org) => new ObjectId(org)) } })) > 0) {
      if (Date.now() > deadline) throw new Error('bench: the event relays left calls unrelayed for 5 minutes after a window');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const userId = new ObjectId(f.userId);
  const phoneNumbers = f.db.collection('phone_numbers');
  // The caller ID's lookups (the user's own number, then the organization's default), then the insert.
  const record = async (/** @type {string} */ org, /** @type {ObjectId | null} */ contactId, /** @type {string} */ to) => {
    const organizationId = new ObjectId(org);
    const own = await phoneNumbers.findOne({ organizationId, userIds: userId }, { sort: { _id: 1 } });
    const marker = own ? null : await f.db.collection('phone_number_defaults').findOne({ _id: organizationId });
    const organizationDefault = marker ? await phoneNumbers.findOne({ _id: marker.phoneNumberId, organizationId }) : null;
    const from = own?.number ?? organizationDefault?.number ?? CALLER_ID;
    await calls.insertOne(callDocument(organizationId, userId, { to, contactId, from, providerPhoneNumber: from }, new Date()));
  };
  return [
    {
      id: 'initiate-phone',
      title: 'POST /api/calls/sdk/initiate (phoneNumber, no contact)',
      request: request('POST', '/api/calls/sdk/initiate', f.tokens.phone, { phoneNumber: '+14165550199' }),
      agents: f.agents.phone,
      status: 201,
      reset,
      drained,
      databaseWork: async () => {
        const organizationId = new ObjectId(f.orgs.phone);
        const phoneNumber = '+14165550199';
        const contact = await contacts.findOne({ $or: [{ organizationId, phoneNumber }, { organizationId, phoneNumbers: phoneNumber }] }, { sort: { _id: 1 } });
        await record(f.orgs.phone, contact?._id ?? null, phoneNumber);
      },
    },
    {
      id: 'initiate-contact',
      title: 'POST /api/calls/sdk/initiate (contactId)',
      request: request('POST', '/api/calls/sdk/initiate', f.tokens.contact, { contactId: f.dialledContactId }),
      agents: f.agents.contact,
      status: 201,
      reset,
      drained,
      databaseWork: async () => {
        const contact = await contacts.findOne({ _id: new ObjectId(f.dialledContactId), organizationId: new ObjectId(f.orgs.contact) });
        await record(f.orgs.contact, contact?._id ?? null, contact?.phoneNumber);
      },
    },
    {
      id: 'list',
      title: `GET /api/calls (a page of ${PAGE_SIZE})`,
      request: request('GET', `/api/calls?limit=${PAGE_SIZE}`, f.tokens.read),
      agents: f.agents.read,
      status: 200,
      reset,
      databaseWork: () =>
        calls
          .find({ organizationId: new ObjectId(f.orgs.read) })
          .sort({ startTime: -1, _id: -1 })
          .limit(PAGE_SIZE + 1)
          .toArray(),
    },
    {
      id: 'get',
      title: 'GET /api/calls/:id',
      request: request('GET', `/api/calls/${f.readCallId}`, f.tokens.read),
      agents: f.agents.read,
      status: 200,
      reset,
      databaseWork: () => calls.findOne({ _id: new ObjectId(f.readCallId), organizationId: new ObjectId(f.orgs.read) }),
    },
    feedScenario(f, request),
    {
      id: 'health',
      title: 'GET /health (no auth, no database work)',
      request: request('GET', '/health', null),
      agents: [],
      status: 200,
      reset,
      databaseWork: null,
    },
  ];
}

/**
 * Requests whose answers must be the same from both servers (status, body and headers), beyond the
 * scenarios themselves: the auth and validation failures, and the edges of each route.
 * @param {Fixtures} f
 * @returns {{ name: string, scenario: string, request: Request }[]}
 */
function probes(f) {
  const initiate = '/api/calls/sdk/initiate';
  const { phone, contact, read } = f.tokens;
  const expired = bearer(f.orgs.phone, f.userId, {}, { organizationId: f.orgs.phone, exp: Math.floor(Date.now() / 1000) - 60 });
  const forged = `Bearer ${jwt.sign({ sub: f.userId, organizationId: f.orgs.phone }, 'another-secret-of-some-length', { algorithm: 'HS256' })}`;
  const noOrg = bearer(f.orgs.phone, f.userId, { expiresIn: '1h' }, {});
  const unsigned = `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ sub: f.userId, organizationId: f.orgs.phone }),
  ).toString('base64url')}.`;
  const p = (/** @type {string} */ scenario, /** @type {string} */ name, /** @type {Request} */ req) => ({ name, scenario, request: req });
  return [
    p('initiate-phone', 'a typed number is normalised', request('POST', initiate, phone, { phoneNumber: '+1 (416) 555-0199' })),
    p('initiate-phone', 'a number links the organization\'s contact', request('POST', initiate, contact, { phoneNumber: '+33 6 12 34 56 78' })),
    p('initiate-phone', 'never another organization\'s contact', request('POST', initiate, phone, { phoneNumber: '+14165550199' })),
    p('initiate-contact', 'contact and number', request('POST', initiate, contact, { contactId: f.dialledContactId, phoneNumber: '+14165550123' })),
    p('initiate-contact', 'an upper-case contact id', request('POST', initiate, contact, { contactId: f.dialledContactId.toUpperCase() })),
    p('initiate-contact', 'another organization\'s contact is 404', request('POST', initiate, contact, { contactId: f.otherOrgsContactId })),
    p('initiate-contact', 'an agent with a number of their own calls from it', request('POST', initiate, f.ownNumberToken, { contactId: f.dialledContactId })),
    p('initiate-contact', 'a contact without a number is 422', request('POST', initiate, contact, { contactId: f.noNumberContactId })),
    p('initiate-phone', 'no token', request('POST', initiate, null, { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'another scheme', request('POST', initiate, phone.replace('Bearer', 'Basic'), { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'an expired token', request('POST', initiate, expired, { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'a token signed with another key', request('POST', initiate, forged, { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'an unsigned token', request('POST', initiate, unsigned, { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'a token without organizationId', request('POST', initiate, noOrg, { phoneNumber: '+14165550199' })),
    p('initiate-phone', 'an empty body', request('POST', initiate, phone, {})),
    p('initiate-phone', 'an invalid number and an unknown field', request('POST', initiate, phone, { phoneNumber: '416-555', extra: 1 })),
    p('initiate-phone', 'wrong types', request('POST', initiate, phone, { contactId: 7, phoneNumber: 14165550199 })),
    p('initiate-phone', 'null contactId', request('POST', initiate, phone, { contactId: null })),
    p('initiate-phone', 'a short contact id', request('POST', initiate, phone, { contactId: 'abc' })),
    p('initiate-phone', 'a number too long', request('POST', initiate, phone, { phoneNumber: `+1${'4'.repeat(40)}` })),
    p('initiate-phone', 'a JSON null', request('POST', initiate, phone, 'null')),
    p('initiate-phone', 'a JSON array', request('POST', initiate, phone, '[{"phoneNumber":"+14165550199"}]')),
    p('initiate-phone', 'a JSON string', request('POST', initiate, phone, '"+14165550199"')),
    p('initiate-phone', 'no body', request('POST', initiate, phone)),
    p('initiate-phone', 'malformed JSON', request('POST', initiate, phone, '{"phoneNumber":')),
    p('initiate-phone', 'a text body', request('POST', initiate, phone, 'hello', 'text/plain')),
    p('initiate-phone', 'a body over 100 kB', request('POST', initiate, phone, { phoneNumber: 'x'.repeat(110 * 1024) })),
    p('list', 'the default page size', request('GET', '/api/calls', read)),
    p('list', 'a bad cursor', request('GET', '/api/calls?cursor=not-a-cursor', read)),
    p('list', 'no token', request('GET', '/api/calls', null)),
    p('get', 'another organization\'s call is 404', request('GET', `/api/calls/${f.otherOrgsCallId}`, read)),
    p('get', 'a malformed id', request('GET', '/api/calls/123', read)),
    p('get', 'no token', request('GET', `/api/calls/${f.readCallId}`, null)),
    p('initiate-phone', 'an unknown route', request('GET', '/nowhere', null)),
    ...feedProbes(f, request),
  ];
}

/** A name for the run's database that nothing else uses. */
const databaseName = () => `calls_bench_${randomBytes(4).toString('hex')}`;

module.exports = { JWT_SECRET, CALLER_ID, PAGE_SIZE, USERS, bearer, callDocument, seed, scenarios, probes, databaseName };
