// @ts-check
'use strict';

/**
 * The fuzzer's world: two organizations, each with an admin's token and a few contacts, calls and
 * caller IDs, so that reads, searches and pages have something to find and the fuzzer real ids to reuse.
 */

const { randomBytes } = require('node:crypto');
const http = require('node:http');
const jwt = require('jsonwebtoken');

/**
 * @typedef {object} Organization
 * @property {string} name
 * @property {string} organizationId
 * @property {string} bearer the Authorization header value
 */

/**
 * @param {string} name
 * @param {string} secret
 * @returns {Organization}
 */
function organization(name, secret) {
  const organizationId = randomBytes(12).toString('hex');
  // Long enough for any run; the run ends well inside it.
  // Admins, so that the caller ID operations are exercised past their 403.
  const token = jwt.sign({ organizationId, role: 'admin' }, secret, {
    algorithm: 'HS256',
    subject: randomBytes(12).toString('hex'),
    expiresIn: '2h',
  });
  return { name, organizationId, bearer: `Bearer ${token}` };
}

/**
 * A few contacts, calls (one of them over and wrapped up), outcomes and caller IDs, so that reads, searches and pages have
 * something to find and the fuzzer has real ids to reuse.
 * @param {string} url
 * @param {Organization} org
 */
async function seed(url, org) {
  const contacts = [
    { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', company: 'Analytical Engines', phoneNumber: '+14165550199' },
    { firstName: 'Grace', lastName: 'Hopper', company: 'Navy', phoneNumber: '+44 20 7183 8750', phoneNumbers: ['+33612345678'] },
    { firstName: 'Alan', email: 'alan@example.org', phoneNumbers: ['+14165550123'] },
  ];
  const ids = [];
  for (const contact of contacts) ids.push((await call(url, org, 'POST', '/api/contacts', contact)).contact._id);
  await call(url, org, 'POST', '/api/calls/sdk/initiate', { contactId: ids[0] });
  await call(url, org, 'POST', '/api/calls/sdk/initiate', { contactId: ids[1], phoneNumber: '+33612345678' });
  await call(url, org, 'POST', '/api/calls/sdk/initiate', { phoneNumber: '+14165550123' });
  await call(url, org, 'POST', '/api/calls/sdk/initiate', { phoneNumber: '+1 416 555 0142' });
  const answered = (await call(url, org, 'POST', '/api/calls/sdk/initiate', { phoneNumber: '+442071838750' })).call;
  await call(url, org, 'PATCH', `/api/calls/${answered._id}`, { status: 'in-progress', providerCallId: randomBytes(8).toString('hex') });
  await call(url, org, 'PATCH', `/api/calls/${answered._id}`, { status: 'completed' });
  // Outcomes, one of them on the call that is over, with notes and tags for the filters to find.
  const booked = (await call(url, org, 'POST', '/api/call-outcomes', { name: 'Meeting booked', positive: true })).outcome;
  await call(url, org, 'POST', '/api/call-outcomes', { name: 'Left voicemail', description: 'No answer; a message was left.' });
  await call(url, org, 'PATCH', `/api/calls/${answered._id}`, { outcomeId: booked._id, notes: 'Wants a demo', tags: ['demo', 'vip'] });
  await call(url, org, 'POST', '/api/phone-numbers', { number: '+14165550100', label: 'Toronto', isDefault: true });
  await call(url, org, 'POST', '/api/phone-numbers', { number: '+442071838751', label: 'London' });
}

/**
 * @param {string} url
 * @param {Organization} org
 * @param {string} method
 * @param {string} route
 * @param {object} body
 */
async function call(url, org, method, route, body) {
  const { status, text } = await send(method, `${url}${route}`, { Authorization: org.bearer }, body);
  if (status >= 300) throw new Error(`Seeding failed: ${method} ${route} answered ${status}: ${text}`);
  return JSON.parse(text);
}

/**
 * One request on a connection of its own. (fetch would keep connections alive in a pool this
 * script cannot close, and the service, asked to stop, waits for them.)
 * @param {string} method
 * @param {string} url
 * @param {Record<string, string>} [headers]
 * @param {object} [body]
 * @returns {Promise<{ status: number, text: string }>}
 */
function send(method, url, headers = {}, body = undefined) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = http.request(
      url,
      { method, agent: false, headers: payload === undefined ? headers : { ...headers, 'Content-Type': 'application/json' } },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/**
 * The Web Fuzzing Commons auth document: the first user is the one every request is sent as; the
 * others are the peers the object-level authorization check replays the owner's reads as.
 * @param {Organization[]} orgs
 */
function webFuzzingCommonsAuth(orgs) {
  return {
    schemaVersion: '0.2.0',
    auth: orgs.map((org) => ({ name: org.name, fixedHeaders: [{ name: 'Authorization', value: org.bearer }] })),
  };
}

module.exports = { organization, seed, webFuzzingCommonsAuth };
