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

const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { startDatabase } = require('./database');
const { ensureSchemathesis, runSchemathesis } = require('./fuzz/schemathesis');
const { organization, seed, webFuzzingCommonsAuth } = require('./fuzz/seed');
const { SINCH_EXAMPLE, databaseUri, startNodeServer } = require('./lib/service');

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'calls-service', 'src', 'main.js');
const CALLER_ID = '+14165550100';
const STOP_TIMEOUT_MS = 10_000;

async function main() {
  if (!fs.existsSync(MAIN)) throw new Error(`${path.relative(ROOT, MAIN)} is missing: run \`npm run build\` first`);
  const schemathesis = await ensureSchemathesis(log);
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
    const code = await runSchemathesis(schemathesis, app.url, auth, process.argv.slice(2), log);
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
 * Runs the built service on a free port against its own database and waits until it is ready.
 * @param {string} mongodbUri
 * @param {string} secret
 * @param {string} logFile
 */
async function startApp(mongodbUri, secret, logFile) {
  const server = await startNodeServer({
    script: MAIN,
    logFile,
    env: {
      NODE_ENV: 'test',
      MONGODB_URI: mongodbUri,
      JWT_SECRET: secret,
      DEFAULT_CALLER_ID: CALLER_ID,
      SINCH_APPLICATION_KEY: SINCH_EXAMPLE.applicationKey,
      SINCH_APPLICATION_SECRET: SINCH_EXAMPLE.applicationSecret,
      // The fuzzer sends thousands of requests a minute as one user: under the usual limit nearly all
      // would be 429s, which prove nothing about the contract.
      THROTTLE_LIMIT: '1000000',
      // Request lines would run to megabytes; warnings and errors are what a failed run needs.
      LOG_LEVEL: 'warn',
    },
  });
  const stopOnExit = () => server.process.kill('SIGKILL');
  process.on('exit', stopOnExit);
  const stop = async () => {
    process.off('exit', stopOnExit);
    await server.stop('SIGTERM', STOP_TIMEOUT_MS);
    await dropDatabase(mongodbUri);
  };
  // JSON lines; the exception filter logs an unexpected exception at error, with its stack.
  const errors = () =>
    server
      .output()
      .split('\n')
      .filter((line) => /"level":"(error|fatal)"/.test(line))
      .slice(0, 50)
      .join('\n');
  return { url: server.url, stop, errors };
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
