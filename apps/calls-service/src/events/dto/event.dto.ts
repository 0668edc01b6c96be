import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ApiSchemaOf } from '../../common/api-schema';
import { CallDto } from '../../calls/dto/call.dto';
import { EVENT_ID, EVENT_TYPES } from '../event.schema';

@ApiSchemaOf({ name: 'EventData', additionalProperties: true })
export class EventDataDto {
  @ApiProperty({ description: 'The whole call as `GET /api/calls/{id}` returned it right after the change.', type: CallDto })
  call!: CallDto;

  @ApiProperty({ description: 'The names of the call\'s fields the change set; empty for `call.initiated`.', type: [String], example: ['status'] })
  changes!: string[];
}

@ApiSchemaOf({
  name: 'Event',
  description: 'One change to a call. Clients must tolerate additional properties: fields are only ever added, never renamed.',
  additionalProperties: true,
})
export class EventDto {
  @ApiProperty({
    description: 'An opaque id that sorts in feed order; pass it as `after` to read the events after it.',
    pattern: EVENT_ID.source,
    example: '64f0a1b2c3d4e5f6a7b8c000:000000000001',
  })
  id!: string;

  @ApiProperty({
    description:
      'What changed: `call.initiated` (recorded), `call.ringing`, `call.answered` (status `in-progress`), `call.ended` (any ' +
      'terminal status; the call\'s `status` says which), `call.recording.added`, or `call.updated` for a change that moves no status.',
    enum: EVENT_TYPES,
    example: 'call.ringing',
  })
  type!: string;

  @ApiProperty({ description: 'When the change was stored (ISO-8601, UTC).', format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ description: 'The organization the call belongs to.', pattern: '^[0-9a-f]{24}$' })
  organizationId!: string;

  @ApiProperty({ type: EventDataDto })
  data!: EventDataDto;
}

@ApiSchema({ name: 'EventListResponse' })
export class EventListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: [EventDto] })
  events!: EventDto[];

  @ApiProperty({
    description:
      'Pass as `after` for the next page: the id of the last event read (with filters, possibly past the last event returned), ' +
      'or the `after` given when there is nothing newer.',
    type: String,
    pattern: EVENT_ID.source,
    nullable: true,
    example: '64f0a1b2c3d4e5f6a7b8c000:000000000042',
  })
  nextCursor!: string | null;
}
