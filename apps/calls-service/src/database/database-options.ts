import type { ConnectOptions } from 'mongoose';
import type { Environment } from '../config/environment';

/**
 * How long an operation waits for a reachable database before it fails. Short, so that a request
 * meeting an outage is answered 503 within 2 seconds rather than held; a replica-set election takes
 * longer, and clients retry a 503.
 */
export const SERVER_SELECTION_TIMEOUT_MS = 1500;

/** Injection token of the DatabaseOptions in force. */
export const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

export interface DatabaseOptions {
  uri: string;
  options: ConnectOptions;
}

export function databaseOptions(env: Pick<Environment, 'MONGODB_URI' | 'MONGODB_WRITE_CONCERN'>): DatabaseOptions {
  const w = env.MONGODB_WRITE_CONCERN === 'majority' ? 'majority' : Number(env.MONGODB_WRITE_CONCERN);
  return {
    uri: env.MONGODB_URI,
    options: {
      // Fail at once while disconnected instead of queueing operations for mongoose's 10 seconds.
      bufferCommands: false,
      serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
      writeConcern: { w },
      // Indexes are built by DatabaseConnector once the database is reached, which may be after start.
      autoIndex: false,
      autoCreate: false,
    },
  };
}
