import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, registerDecorator } from 'class-validator';
import { IsDateTime, IsNotBefore, parseDateTime } from '../../common/date-time';
import { CallFiltersDto } from './list-calls-query.dto';

export const STATS_GROUPINGS = ['user', 'day', 'outcome', 'status'] as const;
export type StatsGrouping = (typeof STATS_GROUPINGS)[number];
export const MAX_STATS_DAYS = 366;
const IANA_TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Whether the runtime's time-zone database knows the name. */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || !IANA_TIME_ZONE.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function IsTimeZone(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'timeZone must be an IANA time zone name, such as Europe/Paris or UTC' },
      validator: { validate: isTimeZone },
    });
}

/** `until` at most MAX_STATS_DAYS after `since`, when both are valid. */
function IsWithinStatsRange(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWithinStatsRange',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `until must be at most ${MAX_STATS_DAYS} days after since` },
      validator: {
        validate: (value: unknown, args) => {
          const since = parseDateTime((args?.object as { since?: unknown }).since);
          const until = parseDateTime(value);
          return !since || !until || until.getTime() - since.getTime() <= MAX_STATS_DAYS * 86_400_000;
        },
      },
    });
}

export class CallStatsQueryDto extends CallFiltersDto {
  @ApiProperty({ description: 'Calls that started at or after this time (ISO-8601 date-time with an offset).', format: 'date-time' })
  @IsDateTime()
  since!: string;

  @ApiProperty({
    description: `Calls that started before this time (ISO-8601 date-time with an offset); not before \`since\`, and at most ${MAX_STATS_DAYS} days after it.`,
    format: 'date-time',
  })
  @IsDateTime()
  @IsNotBefore('since')
  @IsWithinStatsRange()
  until!: string;

  @ApiProperty({
    description:
      'What each group is: the calls of one `user`, of one `day` (a calendar day in `timeZone`), with one `outcome` (or none), or in one `status`.',
    enum: STATS_GROUPINGS,
  })
  @IsIn(STATS_GROUPINGS)
  groupBy!: StatsGrouping;

  @ApiPropertyOptional({
    description: 'For `groupBy=day`: the IANA time zone whose calendar days the calls are counted in.',
    default: 'UTC',
    maxLength: 64,
    pattern: IANA_TIME_ZONE.source,
    example: 'America/New_York',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(IANA_TIME_ZONE, { message: 'timeZone must be an IANA time zone name, such as Europe/Paris or UTC' })
  @IsTimeZone()
  timeZone?: string;
}
