import { Types } from 'mongoose';

/*
 * Opaque page cursors: the sort key of a page's last item, packed into bytes and base64url-encoded.
 * Decoding refuses anything this service would not have printed, so a cursor is never a way to
 * smuggle a value into a query.
 */

const ID_BYTES = 12;
const TIME_BYTES = 8;

function unpack(cursor: string, length: number): Buffer | null {
  const bytes = Buffer.from(cursor, 'base64url');
  return bytes.length === length && bytes.toString('base64url') === cursor ? bytes : null;
}

/** What encodeIdCursor prints: 12 bytes are exactly 16 base64url characters. openapi.yaml publishes it. */
export const ID_CURSOR = /^[A-Za-z0-9_-]{16}$/;

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
