import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

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

/** A cursor that decodes to nothing is a client error, the same for every list. */
export function invalidCursor(): never {
  throw new BadRequestException('cursor is not a cursor this service issued');
}
