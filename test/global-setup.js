// @ts-check
'use strict';

/**
 * Jest globalSetup: gives the test run a throwaway database unless MONGODB_URI names one. Tests append
 * their own database names to MONGODB_URI; TEST_DATABASE_KIND says which server answers, for tests
 * that must allow for FerretDB's differences from MongoDB.
 */

const fs = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { startDatabase } = require('../scripts/database');

module.exports = async () => {
  if (process.env.MONGODB_URI) return;

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'calls-service-test-db-'));
  try {
    const database = await startDatabase({ dataDir });
    process.env.MONGODB_URI = database.uri;
    process.env.TEST_DATABASE_KIND = database.kind;
    // Jest keeps globalThis from globalSetup for globalTeardown; global-teardown.js reads this key.
    /** @type {Record<string, unknown>} */ (globalThis).__CALLS_SERVICE_TEST_DATABASE__ = { database, dataDir };
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
};
