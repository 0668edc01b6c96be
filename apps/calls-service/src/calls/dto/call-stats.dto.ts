import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { STATS_GROUPINGS, StatsGrouping } from './call-stats-query.dto';

@ApiSchema({ name: 'CallStatsGroup', description: 'The numbers of one group of calls.' })
export class CallStatsGroupDto {
  @ApiProperty({
    description:
      'What the group is: a user id, a day (`YYYY-MM-DD` in `timeZone`), an outcome id (null for calls without one), or a status.',
    type: String,
    nullable: true,
    example: '2026-11-27',
  })
  key!: string | null;

  @ApiProperty({ description: 'How many calls.', type: 'integer', minimum: 1, example: 40 })
  calls!: number;

  @ApiProperty({
    description: 'How many were answered: they have an `answerTime`, or are `in-progress` or `completed`.',
    type: 'integer',
    minimum: 0,
    example: 25,
  })
  answered!: number;

  @ApiProperty({ description: '`answered` / `calls`.', minimum: 0, maximum: 1, example: 0.625 })
  answerRate!: number;

  @ApiProperty({ description: 'The sum of the calls\' `duration`.', type: 'integer', minimum: 0, example: 5400 })
  talkSeconds!: number;

  @ApiProperty({ description: '`talkSeconds` / `answered`; null when none was answered.', type: Number, nullable: true, example: 216 })
  averageTalkSeconds!: number | null;

  @ApiProperty({
    description: 'The mean of `answerTime` − `startTime` over the calls with an `answerTime`; null when none has one.',
    type: Number,
    nullable: true,
    example: 7.5,
  })
  averageRingSeconds!: number | null;

  @ApiProperty({ description: 'How many have an outcome marked `positive` (archived ones included).', type: 'integer', minimum: 0, example: 9 })
  positiveOutcomes!: number;
}

@ApiSchema({ name: 'CallStatsResponse' })
export class CallStatsResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ enum: STATS_GROUPINGS, example: 'day' })
  groupBy!: StatsGrouping;

  @ApiProperty({ description: 'The time zone of the days (UTC unless `timeZone` said otherwise).', example: 'UTC' })
  timeZone!: string;

  @ApiProperty({
    description: 'One per group that has calls, ordered by `key` (null last); groups without calls are left out.',
    type: [CallStatsGroupDto],
  })
  groups!: CallStatsGroupDto[];
}
