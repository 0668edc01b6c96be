import { isDuplicateKeyError } from './mongo-errors';

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
