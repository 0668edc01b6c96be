import fc from 'fast-check';
import { Types } from 'mongoose';
import { decodeIdCursor, decodeNumberCursor, decodeTimeIdCursor, encodeIdCursor, encodeNumberCursor, encodeTimeIdCursor, NUMBER_CURSOR } from './cursor';

const objectId = fc.uint8Array({ minLength: 12, maxLength: 12 }).map((bytes) => new Types.ObjectId(Buffer.from(bytes).toString('hex')));
const instant = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });

describe('page cursors', () => {
  it('read back the id they encode', () => {
    fc.assert(
      fc.property(objectId, (id) => {
        expect(decodeIdCursor(encodeIdCursor(id))?.equals(id)).toBe(true);
      }),
    );
  });

  it('read back the time and id they encode', () => {
    fc.assert(
      fc.property(instant, objectId, (time, id) => {
        const key = decodeTimeIdCursor(encodeTimeIdCursor({ time, id }));
        expect(key?.time.getTime()).toBe(time.getTime());
        expect(key?.id.equals(id)).toBe(true);
      }),
    );
  });

  it('keep the contacts cursor format that clients already hold', () => {
    expect(encodeIdCursor(new Types.ObjectId('64f0a1b2c3d4e5f6a7b8c9d0'))).toBe('ZPChssPU5fanuMnQ');
  });

  it.each([
    ['empty', ''],
    ['not base64url', '!!!!'],
    ['padded', 'ZPChssPU5fanuMnQ='],
    ['too short', 'ZPChssPU'],
    ['an id cursor where a time cursor is expected', 'ZPChssPU5fanuMnQ'],
  ])('refuses a time cursor that is %s', (_label, cursor) => {
    expect(decodeTimeIdCursor(cursor)).toBeNull();
  });

  it('refuses a time cursor whose time is out of range', () => {
    const bytes = Buffer.alloc(20, 0xff);
    bytes.writeBigInt64BE(BigInt(8.64e15) + 1n);
    expect(decodeTimeIdCursor(bytes.toString('base64url'))).toBeNull();
  });

  it('never throws on any string, and accepts only the canonical spelling', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (cursor) => {
        const key = decodeTimeIdCursor(cursor);
        if (key) expect(encodeTimeIdCursor(key)).toBe(cursor);
        const id = decodeIdCursor(cursor);
        if (id) expect(encodeIdCursor(id)).toBe(cursor);
      }),
      { numRuns: 2000 },
    );
  });
});

const e164 = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[0-9]{1,14}$/)).map(([first, rest]) => `+${first}${rest}`);

describe('the phone-number list cursor', () => {
  it('reads back the number it encodes, in the published form', () => {
    fc.assert(
      fc.property(e164, (number) => {
        const cursor = encodeNumberCursor(number);
        expect(cursor).toMatch(NUMBER_CURSOR);
        expect(decodeNumberCursor(cursor)).toBe(number);
      }),
    );
  });

  it('orders as the numbers do, so a page starts right after the one before', () => {
    fc.assert(
      fc.property(e164, e164, (a, b) => {
        expect(decodeNumberCursor(encodeNumberCursor(a)) < b).toBe(a < b);
      }),
    );
  });

  it('reads any cursor of the published form as a string to compare with, never anything else', () => {
    fc.assert(
      fc.property(fc.stringMatching(NUMBER_CURSOR), (cursor) => {
        expect(typeof decodeNumberCursor(cursor)).toBe('string');
      }),
    );
  });

  it('keeps its format', () => {
    expect(encodeNumberCursor('+14165550111')).toBe('MTQxNjU1NTAxMTE');
  });
});
