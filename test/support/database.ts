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
