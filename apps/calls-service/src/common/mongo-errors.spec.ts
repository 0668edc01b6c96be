import { isDatabaseUnavailableError, isDuplicateKeyError } from './mongo-errors';

describe('isDuplicateKeyError', () => {
  it.each([
    ['MongoDB E11000', { code: 11000, message: 'E11000 duplicate key error collection: calls.phone_numbers' }, true],
    ['FerretDB on update', { code: 1, message: "constraint failed: UNIQUE constraint failed: index 'phone_numbers_organizationId_1_number_1' (2067)" }, true],
    ['another error with code 1', { code: 1, message: 'something else' }, false],
    ['a plain Error', new Error('E11000'), false],
    ['not an object', 'E11000', false],
    ['null', null, false],
  ])('%s: %p', (_label, error, expected) => {
    expect(isDuplicateKeyError(error)).toBe(expected);
  });
});

describe('isDatabaseUnavailableError', () => {
  const named = (name: string, extra: object = {}) => Object.assign(new Error('x'), { name }, extra);
  const labelled = (labels: string[]) => Object.assign(new Error('x'), { name: 'MongoServerError', hasErrorLabel: (label: string) => labels.includes(label) });

  it.each([
    ['an unreachable server', named('MongoServerSelectionError'), true],
    ['a closed connection', named('MongoNetworkError'), true],
    ['a server closed under an operation', named('MongoServerClosedError'), true],
    ['a reply cut short', named('MongoUnexpectedServerResponseError'), true],
    ['an operation cut off when the monitor found the server silent', named('PoolClearedOnNetworkError'), true],
    ['a grouped insert the database did not answer in time', named('InsertStalled'), true],
    ['a node shutting down', named('MongoServerError', { code: 91 }), true],
    ['an error the driver would retry a write after', labelled(['RetryableWriteError']), true],
    ['a pool reset', labelled(['ResetPool']), true],
    ['an operation before the first connection', named('MongooseError', { message: 'Operation failed before initial connection is complete' }), true],
    ['a duplicate key', named('MongoServerError', { code: 11000 }), false],
    ['an unlabelled server error', labelled([]), false],
    ['a socket error the driver let through', Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write', errno: -32 }), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }), true],
    ['an error with a code but no syscall', Object.assign(new Error('x'), { code: 'EPIPE' }), false],
    ['a write to a socket the database ended (Node\'s own EPIPE, no syscall)', Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }), true],
    ['a file error', Object.assign(new Error('x'), { code: 'ENOENT', syscall: 'open' }), false],
    ['a plain Error', new Error('boom'), false],
    ['not an Error', { name: 'MongoNetworkError' }, false],
  ])('%s: %p', (_label, error, expected) => {
    expect(isDatabaseUnavailableError(error)).toBe(expected);
  });
});
