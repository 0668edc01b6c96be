import { Types } from 'mongoose';

/*
 * Opaque page cursors: the sort key of a page's last item, packed into bytes and base64url-encoded.
 * Decoding refuses anything this service would not have printed, so a cursor is never a way to
 * smuggle a value into a query (the number cursor, at the end, says why it is the exception).
 */

const ID_BYTES = 12;
const TIME_BYTES = 8;

function unpack(cursor: string, length: number): Buffer | null {
  const bytes = Buffer.from(cursor, 'base64url');
  return bytes.length === length && bytes.toString('base64url') === cursor ? bytes : null;
}

/** What encodeIdCursor prints: 12 bytes are exactly 16 base64url characters. openapi.yaml publishes it. */
export const ID_CURSOR = /^[A-Za-z0-9_-]{16}$/;

/**
 * What encodeTimeIdCursor prints: 20 bytes are 27 base64url characters, the last holding 4 bits and 2
 * zero bits. (A time beyond a JavaScript Date's range is refused too, which no pattern can say.)
 */
export const TIME_ID_CURSOR = /^[A-Za-z0-9_-]{26}[AEIMQUYcgkosw048]$/;

/** For lists sorted by `_id` alone. */
export function encodeIdCursor(id: Types.ObjectId): string {
  return Buffer.from(id.toHexString(), 'hex').toString('base64url');
}

export function decodeIdCursor(cursor: string): Types.ObjectId | null {
  const bytes = unpack(cursor, ID_BYTES);
  return bytes ? new Types.ObjectId(bytes.toString('hex')) : null;
}

/** The sort key of a list sorted by a time and then `_id`. */
export interface TimeIdKey {
  time: Date;
  id: Types.ObjectId;
}

export function encodeTimeIdCursor({ time, id }: TimeIdKey): string {
  const bytes = Buffer.alloc(TIME_BYTES + ID_BYTES);
  bytes.writeBigInt64BE(BigInt(time.getTime()));
  bytes.write(id.toHexString(), TIME_BYTES, 'hex');
  return bytes.toString('base64url');
}

export function decodeTimeIdCursor(cursor: string): TimeIdKey | null {
  const bytes = unpack(cursor, TIME_BYTES + ID_BYTES);
  if (!bytes) return null;
  const time = new Date(Number(bytes.readBigInt64BE()));
  if (!Number.isFinite(time.getTime())) return null;
  return { time, id: new Types.ObjectId(bytes.subarray(TIME_BYTES).toString('hex')) };
}

/*
 * For the phone-number list, sorted by number: the last number of a page (its E.164 digits),
 * base64url-encoded. The number is unique in an organization, so it alone says where the next page
 * starts, even after that number was changed or deleted.
 * Any string is a place in that order, so every cursor of the published form is accepted: what the
 * contract admits, the service answers (a client's own cursor is only ever compared with, never run).
 */

/** What encodeNumberCursor prints (15 digits at most are 20 base64url characters). openapi.yaml publishes it. */
export const NUMBER_CURSOR = /^[A-Za-z0-9_-]{3,20}$/;

export function encodeNumberCursor(number: string): string {
  return Buffer.from(number.slice(1), 'latin1').toString('base64url');
}

/** The place in the list's order a cursor of the published form stands for. */
export function decodeNumberCursor(cursor: string): string {
  return `+${Buffer.from(cursor, 'base64url').toString('latin1')}`;
}
