// @ts-check
'use strict';

/** What every benchmark run needs before it measures: the build, a database with data, the servers. */

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { MongoClient } = require('mongodb');
const { startDatabase } = require('../../scripts/database');
const { SINCH_EXAMPLE } = require('../../scripts/lib/service');
const { CALLER_ID, JWT_SECRET, databaseName, seed } = require('./scenarios');
const { ROOT, onCleanup, run, startServer } = require('./servers');

// BENCH_SERVICE_MAIN runs another build of the service (another checkout's dist) against the same baseline.
const MAIN = path.resolve(process.env.BENCH_SERVICE_MAIN || path.join(ROOT, 'dist', 'apps', 'calls-service', 'src', 'main.js'));
const BASELINE = path.join(ROOT, 'bench', 'baseline', 'server.js');

/**
 * Builds the production app (unless told not to), starts a database the way the tests do (or uses
 * MONGODB_URI), and seeds a fresh database in it. All of it is undone by cleanUp().
 * @param {{ build: boolean, log: (message: string) => void }} options
 */
async function prepare({ build, log }) {
  if (build) {
    log('building the production app (nest build calls-service)...');
    await run(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build', 'calls-service']);
  }
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build it, or run without BENCH_SKIP_BUILD`);

  let baseUri = process.env.MONGODB_URI;
  let databaseKind = 'external';
  if (!baseUri) {
    const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'calls-service-bench-db-'));
    onCleanup(() => fsp.rm(dataDir, { recursive: true, force: true }));
    const database = await startDatabase({ dataDir, log });
    onCleanup(database.stop);
    baseUri = database.uri;
    databaseKind = database.kind;
  }
  const url = new URL(baseUri);
  url.pathname = `/${databaseName()}`;
  const uri = url.toString();
  log(`database: ${databaseKind} at ${uri}`);

  const client = await new MongoClient(uri).connect();
  onCleanup(async () => {
    await client.db().dropDatabase().catch(() => {});
    await client.close();
  });
  const fixtures = await seed(client.db());
  return { uri, databaseKind, fixtures };
}

/**
 * @param {'ours' | 'baseline'} name
 * @param {{ uri: string, logDir: string, nodeArgs?: string[], logName?: string, extraEnv?: Record<string, string> }} options
 */
function startNamedServer(name, { uri, logDir, nodeArgs = [], logName = name, extraEnv = {} }) {
  const env = {
    NODE_ENV: 'production',
    MONGODB_URI: uri,
    JWT_SECRET,
    DEFAULT_CALLER_ID: CALLER_ID,
    // One user sends every request of a scenario: a production budget would turn most into 429s.
    // The limiter still counts every request, on both servers.
    THROTTLE_LIMIT: '1000000000',
    // Required by the service since Sinch callbacks; no scenario calls Sinch.
    SINCH_APPLICATION_KEY: SINCH_EXAMPLE.applicationKey,
    SINCH_APPLICATION_SECRET: SINCH_EXAMPLE.applicationSecret,
    ...extraEnv,
  };
  // BENCH_BASELINE_SERVICE_MAIN puts another build of the service where the baseline goes: a before and
  // after of the service itself, paired round by round, with the conformance check comparing the two.
  const baseline = process.env.BENCH_BASELINE_SERVICE_MAIN ? path.resolve(process.env.BENCH_BASELINE_SERVICE_MAIN) : BASELINE;
  // BENCH_BASELINE_NODE_ARGS: flags for whatever runs in the baseline's place, such as the same build
  // with other flags, to measure what the flags cost.
  const baselineArgs = (process.env.BENCH_BASELINE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  return startServer({ name: logName, script: name === 'ours' ? MAIN : baseline, nodeArgs: name === 'ours' ? nodeArgs : baselineArgs, env, logDir, readyPath: '/' });
}

/**
 * The node flags `npm run start:prod` (and the Dockerfile) start the service with: the bench runs our
 * service as production runs it, unless BENCH_SERVICE_NODE_ARGS says otherwise.
 * @returns {string[]}
 */
function productionNodeArgs() {
  const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  return script.split(/\s+/).filter((/** @type {string} */ word) => word.startsWith('--'));
}

/** A fresh folder under bench/.work for this run's logs and profiles. */
async function workDirectory(/** @type {string} */ kind) {
  const dir = path.join(ROOT, 'bench', '.work', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await fsp.mkdir(dir, { recursive: true });
  return dir;
}

module.exports = { prepare, productionNodeArgs, startNamedServer, workDirectory };
