// @ts-check
'use strict';

/**
 * The embedded database of `npm run dev` and the tests (FerretDB 1.24 on SQLite) serves a query from an
 * index only when it filters on `_id` alone: any other reads the whole collection. A page of calls takes
 * about 0.1 s with 1,000 stored and 0.6–1 s with 10,000; from about 20,000 it takes longer than the
 * service's 1.5 s socket time-out, which answers 503 (bench/README.md, "As the collection grows").
 * MongoDB serves the same queries from the indexes whatever the size.
 */
const EMBEDDED_DATABASE_LIMIT = 10_000;
const CHECK_EVERY_MS = 60_000;

/**
 * Prints one line per collection, the first time it is found holding more documents than the embedded
 * database serves at a usable speed. Checks now and then every minute, until `stop()`.
 * @param {{ uri: string, log: (line: string) => void, limit?: number, everyMs?: number }} options
 *   `uri` names the database (as MONGODB_URI does)
 * @returns {{ stop: () => Promise<void>, checked: Promise<void> }} `checked` resolves after the first check
 */
function warnWhenCollectionsOutgrow({ uri, log, limit = EMBEDDED_DATABASE_LIMIT, everyMs = CHECK_EVERY_MS }) {
  const { MongoClient } = require('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  /** @type {Set<string>} */
  const warned = new Set();
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let stopped = false;
  const check = async () => {
    try {
      const db = client.db();
      for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        if (warned.has(name)) continue;
        const count = await db.collection(name).estimatedDocumentCount();
        if (count <= limit) continue;
        warned.add(name);
        log(
          `[dev] Warning: ${name} holds ${count.toLocaleString('en')} documents; past ${limit.toLocaleString('en')} the embedded database ` +
            'reads them all for each list (seconds, then 503s). Production runs on MongoDB (README, "Tests"); set MONGODB_URI to use one.',
        );
      }
    } catch {
      // The database is starting or stopping; the next check will tell.
    }
    if (!stopped) timer = setTimeout(check, everyMs).unref();
  };
  const checked = check();
  return {
    checked,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await client.close().catch(() => undefined);
    },
  };
}

module.exports = { EMBEDDED_DATABASE_LIMIT, warnWhenCollectionsOutgrow };
