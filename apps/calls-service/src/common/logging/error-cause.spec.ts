import { MongoServerError } from 'mongodb';
import { describeError, withoutPersonalData } from './error-cause';

describe('describeError', () => {
  it("keeps a duplicate-key error's class, code and index, and none of its key's values", () => {
    const error = new MongoServerError({
      errmsg:
        'E11000 duplicate key error collection: calls.phone_numbers index: organizationId_1_number_1 dup key: ' +
        '{ organizationId: ObjectId(\'64f0a1b2c3d4e5f6a7b8c000\'), number: "+14165550123" }',
      code: 11000,
      codeName: 'DuplicateKey',
      keyValue: { organizationId: '64f0a1b2c3d4e5f6a7b8c000', number: '+14165550123' },
    });

    const description = describeError(error);

    expect(description).toMatch(/^MongoServerError code 11000 DuplicateKey: E11000 duplicate key error collection: calls\.phone_numbers index: organizationId_1_number_1 dup key: \{…\}/);
    expect(description).not.toContain('4165550123');
    expect(description).not.toContain('64f0a1b2c3d4e5f6a7b8c000');
    expect(description).toMatch(/\n {4}at /);
  });

  it('keeps a programming error as it is, with its first stack frames', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'phoneNumber')");

    const description = describeError(error);

    expect(description.split('\n')[0]).toBe("TypeError: Cannot read properties of undefined (reading 'phoneNumber')");
    expect(description.split('\n').length).toBeGreaterThan(1);
    expect(description.split('\n').length).toBeLessThanOrEqual(9);
  });

  it('describes what is not an Error without printing it', () => {
    expect(describeError({ phoneNumber: '+14165550123' })).toBe('A non-Error was thrown (object)');
  });
});

describe('withoutPersonalData', () => {
  it.each([
    ['Cast to ObjectId failed for value "Ada Lovelace" (type string) at path "_id"', 'Cast to ObjectId failed for value "…" (type string) at path "…"'],
    ['no contact for +1 416-555-0199 today', 'no contact for [number] today'],
    ['mail ada@example.com bounced', 'mail [e-mail] bounced'],
    ['connection 7 to 127.0.0.1:27017 timed out', 'connection 7 to 127.0.0.1:27017 timed out'],
  ])('%p → %p', (message, expected) => {
    expect(withoutPersonalData(message)).toBe(expected);
  });
});
