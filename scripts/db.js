#!/usr/bin/env node
// @ts-check
'use strict';

/** `npm run db`: runs the development database (the one `npm run dev` uses) in the foreground. */

const path = require('node:path');
const { startDatabase } = require('./database');

const DATA_DIR = path.join(__dirname, '..', '.data', 'db');

async function main() {
  const database = await startDatabase({ dataDir: DATA_DIR });
  console.log(`${database.kind} listening on ${database.uri} (data in ${DATA_DIR})`);
  console.log(`Use it with: MONGODB_URI=${database.uri}calls npm run dev`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    database.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await database.exited;
  if (!stopping) {
    const log = database.kind === 'mongodb-memory-server' ? '' : `; see ${path.join(DATA_DIR, `${database.kind}.log`)}`;
    console.error(`${database.kind} exited unexpectedly${log}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
