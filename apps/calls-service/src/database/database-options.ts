import type { ConnectOptions } from 'mongoose';
import type { Environment } from '../config/environment';

/**
 * How long an operation waits for a reachable database before it fails. Short, so that a request
 * meeting an outage is answered 503 within 2 seconds rather than held; a replica-set election takes
 * longer, and clients retry a 503.
 */
export const SERVER_SELECTION_TIMEOUT_MS = 1500;

/**
 * How long one operation waits for the database's reply on an open connection (socketTimeoutMS), and
 * for a new connection to open, the monitor's included (connectTimeoutMS). Without them, a database
 * that went silent (a network partition: no reset, no close) held every request until the driver's
 * monitor gave up on it, 13 s and more. The service's queries take milliseconds. MongoDB driver 7
 * ignores `timeoutMS` (it warns that it has no effect), so these are the bounds that hold.
 */
export const SOCKET_TIMEOUT_MS = 1500;
export const CONNECT_TIMEOUT_MS = 1500;

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
      socketTimeoutMS: SOCKET_TIMEOUT_MS,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      // A retry after a timeout would wait as long again (twice over, with a new connection to open),
      // past the 2 s in which every request is answered. A failed operation answers 503, which clients
      // retry, with an Idempotency-Key where a retry must not repeat the write.
      retryReads: false,
      retryWrites: false,
      writeConcern: { w },
      // Indexes are built by DatabaseConnector once the database is reached, which may be after start.
      autoIndex: false,
      autoCreate: false,
    },
  };
}
