import type { ConnectOptions } from 'mongoose';
import type { Environment } from '../config/environment';

/**
 * How long an operation waits for a reachable database before it fails. Short, so that a request
 * meeting an outage is answered 503 within 2 seconds rather than held; a replica-set election takes
 * longer, and clients retry a 503.
 */
export const SERVER_SELECTION_TIMEOUT_MS = 1500;

/**
 * How long a new connection may take to open, the monitor's included; the monitor's check of the server
 * is bounded by it too. A database that went silent (a network partition: no reset, no close) is seen by
 * the next check, at most HEARTBEAT_FREQUENCY_MS + CONNECT_TIMEOUT_MS later, and the driver then
 * interrupts every operation in flight on that server (a monitor timeout resets the pool with
 * interruptInUseConnections), so those requests answer 503 within about 2 s.
 */
export const CONNECT_TIMEOUT_MS = 1500;
export const HEARTBEAT_FREQUENCY_MS = 500;

/**
 * A backstop only. One operation's reply is not bounded by a short socket timeout: a legitimately slow
 * query (an index build, a purge, a list on the embedded database, which reads a whole collection for
 * any filter but one on _id) would fail every time and each retry would start it again, while a silent
 * server is already caught by the monitor above.
 */
export const SOCKET_TIMEOUT_MS = 60_000;

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
      heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
      // Polling: a streaming monitor waits on the server's own 10 s hello, which a silent server never ends.
      serverMonitoringMode: 'poll',
      // A retry after a failure would wait for server selection again, past the 2 s in which every
      // request is answered. A failed operation answers 503, which clients
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
