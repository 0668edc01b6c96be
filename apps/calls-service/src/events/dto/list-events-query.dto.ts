import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { EVENT_ID, EVENT_TYPES, EventType } from '../event.schema';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 500;

export class ListEventsQueryDto {
  @ApiPropertyOptional({
    description: 'Only events after this one (exclusive): the `nextCursor` of the previous page. Absent: from the oldest event kept.',
    pattern: EVENT_ID.source,
  })
  @IsOptional()
  @IsString()
  @Matches(EVENT_ID, { message: 'after must be an event id this service issued' })
  after?: string;

  @ApiPropertyOptional({
    description: 'Only events of this type; repeat the parameter (`type=call.ended&type=call.answered`) for any of several.',
    enum: EVENT_TYPES,
    isArray: true,
    maxItems: EVENT_TYPES.length,
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value))
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  type?: EventType[];

  @ApiPropertyOptional({ description: 'Only events of this call.', pattern: OBJECT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(OBJECT_ID, { message: 'callId must be a 24-character hexadecimal id' })
  callId?: string;

  @ApiPropertyOptional({ description: 'Page size.', type: 'integer', minimum: 1, maximum: MAX_EVENT_PAGE, default: DEFAULT_EVENT_PAGE })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EVENT_PAGE)
  limit: number = DEFAULT_EVENT_PAGE;
}
