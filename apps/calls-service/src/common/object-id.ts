import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { Types } from 'mongoose';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
/** An id as the service writes it: ids are accepted in either case and always answered in lower case. */
export const ANSWERED_ID = /^[0-9a-f]{24}$/;

export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** Rejects a path id that is not 24 hex characters before it reaches a query. */
@Injectable()
export class ParseObjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isObjectIdString(value)) {
      throw new BadRequestException('id must be a 24-character hexadecimal id');
    }
    return value.toLowerCase();
  }
}

/** A page cursor's form: 12 bytes in base64url, which is exactly 16 characters with no padding. */
export const CURSOR = /^[A-Za-z0-9_-]{16}$/;

/** Opaque page cursor: the last _id of a page, base64url-encoded. */
export function encodeCursor(id: Types.ObjectId): string {
  return Buffer.from(id.toHexString(), 'hex').toString('base64url');
}

export function decodeCursor(cursor: string): Types.ObjectId {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== 12 || bytes.toString('base64url') !== cursor) {
    throw new BadRequestException('cursor is not a cursor this service issued');
  }
  return new Types.ObjectId(bytes.toString('hex'));
}
