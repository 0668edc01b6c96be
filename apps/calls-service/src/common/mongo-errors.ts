/**
 * True for a unique-index violation. MongoDB answers E11000 (code 11000) for inserts and updates
 * alike; FerretDB 1.x does so only for inserts, and fails an update with code 1 and SQLite's text.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 11000 || (code === 1 && typeof message === 'string' && message.includes('UNIQUE constraint failed'));
}

const DATABASE_UNAVAILABLE = new Set([
  'MongoServerSelectionError',
  'MongoServerClosedError',
  'MongoOperationTimeoutError',
  'MongoUnexpectedServerResponseError',
  'MongoStalePrimaryError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  // What an operation in flight fails with when the monitor finds the server silent and resets the pool.
  'PoolClearedOnNetworkError',
  // Ours: a grouped insert the database did not answer in time (database/group-insert.ts).
  'InsertStalled',
]);

/** Server errors of a node that is shutting down or no longer primary: the database is unavailable for now. */
const STATE_CHANGE_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/** Mongoose's own error for an operation before the first connection, when the database was down at start. */
const NOT_YET_CONNECTED = /before initial connection is complete/;

/**
 * True when the database cannot serve right now (unreachable, restarting, failing over), so the answer
 * is 503 and the client may retry, rather than 500.
 */
export function isDatabaseUnavailableError(exception: unknown): boolean {
  if (!(exception instanceof Error)) return false;
  if (DATABASE_UNAVAILABLE.has(exception.name)) return true;
  // A socket error the driver let through unwrapped (seen: EPIPE while the database was killed). The
  // database is the only connection a request makes, so this is it going away.
  if (isSocketError(exception)) return true;
  // The driver labels the errors it would retry a write after, whatever their class: network errors
  // and a node shutting down or stepping down among them.
  if (hasErrorLabel(exception, 'RetryableWriteError') || hasErrorLabel(exception, 'ResetPool')) return true;
  if (exception.name === 'MongoServerError') return STATE_CHANGE_CODES.has((exception as Error & { code?: unknown }).code as number);
  return exception.name === 'MongooseError' && NOT_YET_CONNECTED.test(exception.message);
}

function hasErrorLabel(error: Error, label: string): boolean {
  const { hasErrorLabel: has } = error as Error & { hasErrorLabel?: (label: string) => boolean };
  return typeof has === 'function' && has.call(error, label);
}

/** Errors of a socket whose peer went away or never answered, as Node raises them (`code` and `syscall` set). */
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Node's error for a write to a socket whose peer has already closed its end (`writeAfterFIN` in node:net): an
 * EPIPE without a syscall, which the driver lets through when the database is killed under a command it sends.
 */
const ENDED_BY_PEER = 'This socket has been ended by the other party';

function isSocketError(error: Error): boolean {
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !SOCKET_ERROR_CODES.has(code)) return false;
  return typeof syscall === 'string' || (code === 'EPIPE' && error.message === ENDED_BY_PEER);
}
