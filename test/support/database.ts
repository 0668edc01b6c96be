import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningApp, startApp } from './app';

/** Types for scripts/database.js (plain JavaScript, shared with the dev scripts), as the tests use it. */
export interface Database {
  /** `mongodb://127.0.0.1:<port>/`, without a database name. */
  uri: string;
  kind: 'mongod' | 'ferretdb' | 'mongodb-memory-server';
  /** SIGTERM unless told otherwise; SIGKILL for a crash. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  exited: Promise<void>;
}

export interface DatabaseOptions {
  dataDir: string;
  /** The port of a stopped server, to bring it back where its clients expect it. */
  port?: number;
  log?: (message: string) => void;
}

export const startDatabase: (options: DatabaseOptions) => Promise<Database> = require('../../scripts/database').startDatabase;

/**
 * A database server of the test's own, to kill and restart (on the same port, where its clients
 * expect it) without disturbing the other tests, and the app started against it. Call it inside a
 * describe block: after each test it stops both and deletes the server's files.
 */
export function ownDatabaseServer(dataDirPrefix: string) {
  let dataDir = '';
  let database: Database | undefined;
  let app: RunningApp | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), dataDirPrefix));
  });
  afterEach(async () => {
    await app?.stop();
    await database?.stop();
    await rm(dataDir, { recursive: true, force: true });
    app = undefined;
    database = undefined;
  });
  return {
    /** Starts the server, or starts it again on `port` after it was stopped or killed. */
    async start(port?: number): Promise<Database> {
      database = await startDatabase({ dataDir, port, log: () => undefined });
      return database;
    },
    async startApp(...args: Parameters<typeof startApp>): Promise<RunningApp> {
      app = await startApp(...args);
      return app;
    },
  };
}
