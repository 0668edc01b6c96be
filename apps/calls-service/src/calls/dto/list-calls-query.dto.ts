import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MAX_TAG_LENGTH, MAX_TAGS } from '../../call-model/call-wrap-up';
import { NOT_BLANK, NOT_BLANK_NO_NUL } from '../../common/text';
import { IsDateTime, IsNotBefore } from '../../common/date-time';
import { TIME_ID_CURSOR } from '../../common/cursor';
import { IsWellFormedPhoneNumber, normalizePhoneNumber, TYPED_PHONE_NUMBER_IN_QUERY } from '../../common/phone-number';
import { CALL_STATUSES, CallStatus } from '../../call-model/call-status';
import { CALL_DIRECTIONS, CallDirection } from '../schemas/call.schema';
import { DEFAULT_PAGE_SIZE, PageSize } from '../../common/page-size.decorator';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

/**
 * In a query string an unencoded `+` reads as a space, so ` 14165550199` is what a client that forgot
 * to write `%2B` sent: read it as the number it meant.
 */
const numberFromQuery = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const typed = /^ \d/.test(value) ? `+${value.slice(1)}` : value;
  return normalizePhoneNumber(typed) ?? value;
};

/** Most contacts whose names `q` may match: the search then looks for calls of these contacts (see docs/wrap-up.md). */
export const MAX_Q_CONTACTS = 1_000;
export const MAX_Q_LENGTH = 100;

/** One `tag=` arrives as a string, several as an array. */
const asList = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? [value] : value);

/** The filters the list, the statistics and the export share: a call must match all of them. */
export class CallFiltersDto {
  @ApiPropertyOptional({ description: 'Only calls linked to this contact.', pattern: OBJECT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(OBJECT_ID, { message: 'contactId must be a 24-character hexadecimal id' })
  contactId?: string;

  @ApiPropertyOptional({ description: 'Only calls placed by this user.', pattern: OBJECT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(OBJECT_ID, { message: 'userId must be a 24-character hexadecimal id' })
  userId?: string;

  @ApiPropertyOptional({
    description: 'Only calls with this status; repeat the parameter (`status=busy&status=no-answer`) for any of several.',
    enum: CALL_STATUSES,
    isArray: true,
    maxItems: CALL_STATUSES.length,
  })
  // One `status=` arrives as a string, several as an array.
  @Transform(asList)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(CALL_STATUSES.length)
  @IsIn(CALL_STATUSES, { each: true })
  status?: CallStatus[];

  @ApiPropertyOptional({ description: 'Only calls in this direction.', enum: CALL_DIRECTIONS })
  @IsOptional()
  @IsIn(CALL_DIRECTIONS)
  direction?: CallDirection;

  @ApiPropertyOptional({
    description:
      'Only calls to or from this number, E.164 (spaces, dashes and parentheses after the `+` are removed; ' +
      'send the `+` as `%2B`, though a bare `+` is understood).',
    maxLength: 32,
    pattern: TYPED_PHONE_NUMBER_IN_QUERY.source,
  })
  @Transform(numberFromQuery)
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @IsWellFormedPhoneNumber()
  phoneNumber?: string;

  @ApiPropertyOptional({ description: 'Only calls with this outcome.', pattern: OBJECT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(OBJECT_ID, { message: 'outcomeId must be a 24-character hexadecimal id' })
  outcomeId?: string;

  @ApiPropertyOptional({
    description: 'Only calls with this tag, ignoring case; repeat the parameter (`tag=demo&tag=vip`) for calls that have all of them.',
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: MAX_TAG_LENGTH, pattern: NOT_BLANK_NO_NUL.source },
    maxItems: MAX_TAGS,
  })
  @Transform(asList)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @MaxLength(MAX_TAG_LENGTH, { each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each value in tag must not be blank' })
  tag?: string[];

  @ApiPropertyOptional({
    description:
      'Only calls whose notes, or whose contact\'s name ("first last"), contain this text, ignoring case. Leading and trailing ' +
      `whitespace is removed. When more than ${MAX_Q_CONTACTS} of the organization's contacts have names containing it, the ` +
      'answer is 422: make it longer.',
    minLength: 1,
    maxLength: MAX_Q_LENGTH,
    pattern: NOT_BLANK_NO_NUL.source,
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_Q_LENGTH)
  @Matches(NOT_BLANK, { message: 'q must not be blank' })
  q?: string;
}

/** The list's filters with the time bounds, both optional. */
export class TimedCallFiltersDto extends CallFiltersDto {
  @ApiPropertyOptional({ description: 'Only calls that started at or after this time (ISO-8601 date-time with an offset).', format: 'date-time' })
  @IsOptional()
  @IsDateTime()
  since?: string;

  @ApiPropertyOptional({
    description: 'Only calls that started before this time (ISO-8601 date-time with an offset); not before `since`.',
    format: 'date-time',
  })
  @IsOptional()
  @IsDateTime()
  @IsNotBefore('since')
  until?: string;
}

export class ListCallsQueryDto extends TimedCallFiltersDto {
  @PageSize()
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: TIME_ID_CURSOR.source })
  @IsOptional()
  @IsString()
  @Matches(TIME_ID_CURSOR, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
