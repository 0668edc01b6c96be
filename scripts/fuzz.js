#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run fuzz`: proves the built service keeps openapi.yaml. Schemathesis (pinned in
 * tools/fuzz/requirements.txt, installed into .venv-fuzz/) sends every operation the documented
 * examples, boundary cases and random valid and invalid requests, with the settings in
 * tools/fuzz/schemathesis.toml, and fails on any answer the contract does not allow (a 500 included).
 *
 * It runs dist/ as `npm run start:prod` would, against a database of its own (started here unless
 * MONGODB_URI names a server), as a user of an organization seeded with contacts and calls; a second
 * organization is there to prove that one cannot read the other's records. The last line printed is
 * `FUZZ: PASSED` or `FUZZ: FAILED ...`, and the exit code agrees.
 */

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { freePort, run, startDatabase } = require('./database');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'calls-service', 'src', 'main.js');
const SPEC = path.join(ROOT, 'openapi.yaml');
const FUZZ_DIR = path.join(ROOT, 'tools', 'fuzz');
const REQUIREMENTS = path.join(FUZZ_DIR, 'requirements.txt');
const CONFIG = path.join(FUZZ_DIR, 'schemathesis.toml');
const VENV = path.join(ROOT, '.venv-fuzz');
const SCHEMATHESIS = path.join(VENV, 'bin', 'schemathesis');
/** A copy of the requirements the venv was built from: when it differs, the venv is rebuilt. */
const INSTALLED_REQUIREMENTS = path.join(VENV, 'installed-requirements.txt');
const CALLER_ID = '+14165550100';
/**
 * Sinch's published example application, as `npm run dev` and the tests use; tools/fuzz/hooks.py signs
 * the fuzzer's callbacks with it (CALLS_FUZZ_SINCH_* in its environment).
 */
const SINCH = { applicationKey: '669e367e-6bba-48ab-af15-266871c28135', applicationSecret: 'BeIukql3pTKJ8RGL5zo0DA==' };
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * @typedef {object} Organization
 * @property {string} name
 * @property {string} organizationId
 * @property {string} bearer the Authorization header value
 */

async function main() {
  if (!fs.existsSync(MAIN)) throw new Error(`${path.relative(ROOT, MAIN)} is missing: run \`npm run build\` first`);
  const schemathesis = await ensureSchemathesis();
  const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'calls-service-fuzz-'));
  /** @type {(() => Promise<void>)[]} */
  const cleanups = [() => fsp.rm(workDir, { recursive: true, force: true })];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => log(`clean-up: ${errorMessage(error)}`));
  };
  process.once('SIGINT', () => cleanUp().then(() => process.exit(130)));
  process.once('SIGTERM', () => cleanUp().then(() => process.exit(143)));

  try {
    let baseUri = process.env.MONGODB_URI;
    if (!baseUri) {
      const database = await startDatabase({ dataDir: path.join(workDir, 'db'), log });
      cleanups.push(database.stop);
      baseUri = database.uri;
      log(`${database.kind} started on ${database.uri}`);
    }
    const secret = randomBytes(32).toString('hex');
    const app = await startApp(databaseUri(baseUri, `calls_fuzz_${randomBytes(6).toString('hex')}`), secret, path.join(workDir, 'app.log'));
    cleanups.push(app.stop);
    log(`Service listening on ${app.url}`);

    const owner = organization('owner', secret);
    const peer = organization('peer', secret);
    await seed(app.url, owner);
    await seed(app.url, peer);

    const auth = path.join(workDir, 'auth.json');
    await fsp.writeFile(auth, JSON.stringify(webFuzzingCommonsAuth([owner, peer]), null, 2));
    const started = Date.now();
    const code = await runSchemathesis(schemathesis, app.url, auth);
    const seconds = Math.round((Date.now() - started) / 1000);
    if (code !== 0) {
      const errors = app.errors();
      if (errors) log(`The service logged these errors:\n${errors}`);
      return `FAILED (schemathesis exited with ${code} after ${seconds} s; its report is above)`;
    }
    return `PASSED (${seconds} s)`;
  } finally {
    await cleanUp();
  }
}

/**
 * Builds .venv-fuzz/ with the pinned Schemathesis unless it already holds exactly that.
 * @returns {Promise<string>} the schemathesis executable
 */
async function ensureSchemathesis() {
  const wanted = await fsp.readFile(REQUIREMENTS, 'utf8');
  const installed = await fsp.readFile(INSTALLED_REQUIREMENTS, 'utf8').catch(() => null);
  if (installed === wanted && fs.existsSync(SCHEMATHESIS)) return SCHEMATHESIS;

  const python = process.env.PYTHON || 'python3';
  log(`Installing ${pins(wanted)} into ${path.relative(ROOT, VENV)}/ ...`);
  await fsp.rm(VENV, { recursive: true, force: true });
  await run(python, ['-m', 'venv', VENV], ROOT, process.env);
  const pip = path.join(VENV, 'bin', 'pip');
  await run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', REQUIREMENTS], ROOT, process.env);
  await fsp.writeFile(INSTALLED_REQUIREMENTS, wanted);
  return SCHEMATHESIS;
}

/** @param {string} requirements the text of a requirements file */
function pins(requirements) {
  return requirements
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .join(', ');
}

/**
 * @param {string} base `mongodb://host:port/`, perhaps with options
 * @param {string} name
 */
function databaseUri(base, name) {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Runs the built service on a free port and waits until it answers.
 * @param {string} mongodbUri
 * @param {string} secret
 * @param {string} logFile
 */
async function startApp(mongodbUri, secret, logFile) {
  const port = await freePort();
  const output = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      MONGODB_URI: mongodbUri,
      JWT_SECRET: secret,
      DEFAULT_CALLER_ID: CALLER_ID,
      SINCH_APPLICATION_KEY: SINCH.applicationKey,
      SINCH_APPLICATION_SECRET: SINCH.applicationSecret,
      // The fuzzer sends thousands of requests a minute as one user: under the usual limit nearly all
      // would be 429s, which prove nothing about the contract.
      THROTTLE_LIMIT: '1000000',
      // Request lines would run to megabytes; warnings and errors are what a failed run needs.
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', output, output],
  });
  fs.closeSync(output);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stopOnExit = () => child.kill('SIGKILL');
  process.on('exit', stopOnExit);
  const readLog = () => fs.readFileSync(logFile, 'utf8');

  const stop = async () => {
    process.off('exit', stopOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => {
      log(`The service did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killing it`);
      child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
    await dropDatabase(mongodbUri);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The service exited with ${child.exitCode}:\n${readLog()}`);
    try {
      if ((await send('GET', `${url}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The service did not answer within ${START_TIMEOUT_MS / 1000} s:\n${readLog()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // JSON lines; the exception filter logs an unexpected exception at error, with its stack.
  const errors = () =>
    readLog()
      .split('\n')
      .filter((line) => /"level":"(error|fatal)"/.test(line))
      .slice(0, 50)
      .join('\n');
  return { url, stop, errors };
}

/** @param {string} uri */
async function dropDatabase(uri) {
  const { MongoClient } = require('mongoose').mongo;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.connect();
    await client.db().dropDatabase();
  } finally {
    await client.close();
  }
}

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
 * A few contacts, calls (one of them over) and caller IDs, so that reads, searches and pages have
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

/**
 * @param {string} schemathesis
 * @param {string} url
 * @param {string} auth
 * @returns {Promise<number>} its exit code
 */
function runSchemathesis(schemathesis, url, auth) {
  // Every check runs: Schemathesis enables them all unless the config narrows one. (`--checks all`
  // would also override that narrowing, reason and all.)
  const args = ['--config-file', CONFIG, 'run', SPEC, '--url', url, ...process.argv.slice(2)];
  log(`schemathesis ${args.map((arg) => (arg.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, arg) : arg)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      CALLS_FUZZ_AUTH_FILE: auth,
      CALLS_FUZZ_SINCH_KEY: SINCH.applicationKey,
      CALLS_FUZZ_SINCH_SECRET: SINCH.applicationSecret,
    };
    const child = spawn(schemathesis, args, { cwd: ROOT, stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** @param {string} message */
function log(message) {
  console.error(`[fuzz] ${message}`);
}

/** @param {unknown} error */
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

main().then(
  (result) => {
    console.log(`FUZZ: ${result}`);
    process.exitCode = result.startsWith('PASSED') ? 0 : 1;
  },
  (error) => {
    console.error(errorMessage(error));
    console.log('FUZZ: FAILED (the run could not be set up; see above)');
    process.exitCode = 1;
  },
);
