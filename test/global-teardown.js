// @ts-check
'use strict';

/** Jest globalTeardown: stops the database global-setup.js started, if it started one. */

const fs = require('node:fs/promises');

module.exports = async () => {
  const shared = /** @type {Record<string, unknown>} */ (globalThis);
  const started = /** @type {{ database: import('../scripts/database').Database, dataDir: string } | undefined} */ (
    shared.__CALLS_SERVICE_TEST_DATABASE__
  );
  if (!started) return;
  delete shared.__CALLS_SERVICE_TEST_DATABASE__;
  // In watch mode setup runs again in this same process; it must not mistake the stopped server's URI
  // for one the user chose.
  delete process.env.MONGODB_URI;
  delete process.env.TEST_DATABASE_KIND;
  try {
    await started.database.stop();
  } finally {
    await fs.rm(started.dataDir, { recursive: true, force: true });
  }
};
