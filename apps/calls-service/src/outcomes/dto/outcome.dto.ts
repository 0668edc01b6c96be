import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ID_CURSOR } from '../../common/cursor';
import { ANSWERED_ID } from '../../common/object-id';

@ApiSchema({ name: 'CallOutcome', description: 'What came of a call, as the organization\'s admins name it.' })
export class OutcomeDto {
  @ApiProperty({ pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8cc00' })
  _id!: string;

  @ApiProperty({ description: 'The organization that owns the outcome.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c000' })
  organizationId!: string;

  @ApiProperty({ description: 'Unique in the organization, ignoring case.', example: 'Meeting booked' })
  name!: string;

  @ApiProperty({ description: 'What the outcome means, for the agents.', type: String, nullable: true, example: 'The contact agreed to a demo.' })
  description!: string | null;

  @ApiProperty({ description: 'Whether it counts as a success in the statistics\' `positiveOutcomes`.', example: true })
  positive!: boolean;

  @ApiProperty({ description: 'An archived outcome stays on the calls that have it but cannot be chosen for a call.', example: false })
  archived!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  updatedAt!: string;
}

@ApiSchema({ name: 'CallOutcomeResponse' })
export class OutcomeResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: OutcomeDto })
  outcome!: OutcomeDto;
}

@ApiSchema({ name: 'CallOutcomeListResponse' })
export class OutcomeListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ description: 'The page\'s outcomes, oldest first.', type: [OutcomeDto] })
  outcomes!: OutcomeDto[];

  @ApiProperty({
    description: 'Pass as `cursor` to get the next page; null on the last page.',
    type: String,
    pattern: ID_CURSOR.source,
    nullable: true,
    example: null,
  })
  nextCursor!: string | null;
}
