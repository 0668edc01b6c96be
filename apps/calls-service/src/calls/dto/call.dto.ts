import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ApiSchemaOf } from '../../common/api-schema';
import { TIME_ID_CURSOR } from '../../common/cursor';
import { ErrorResponseDto } from '../../common/errors/error-response.dto';
import { ANSWERED_ID } from '../../common/object-id';
import { E164_PHONE_NUMBER } from '../../common/phone-number';
import { CALL_STATUSES, CallStatus } from '../../call-model/call-status';
import { CALL_TOKEN } from '../call-token';
import { CALL_DIRECTIONS, CallDirection, DOCUMENTED_PROVIDER_NAMES } from '../schemas/call.schema';

@ApiSchema({ name: 'Recording', description: 'A recording of the call, as the provider reported it.' })
export class RecordingDto {
  @ApiProperty({ description: 'Where the recording can be fetched.', example: 'https://recordings.example.com/abc.mp3' })
  url!: string;

  @ApiProperty({ description: 'The recording\'s media type or kind, as the provider names it.', example: 'audio/mpeg' })
  type!: string;

  @ApiProperty({ description: 'When the recording became available (ISO-8601, UTC).', format: 'date-time' })
  createdAt!: string;
}

export interface CallCostDto {
  amount: number;
  currency: string;
}

// Provider-specific fields may be added over time, so the shape is open.
@ApiSchemaOf({
  name: 'Call',
  description: 'A phone call. Clients must tolerate additional properties: fields are only ever added, never renamed.',
  additionalProperties: true,
})
export class CallDto {
  @ApiProperty({ description: 'The call\'s id.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8cb00' })
  _id!: string;

  @ApiProperty({
    description: 'The same id as `_id`, as a string; pass it to the SDK as the `x-call-id` call header, with `callToken` as `x-call-token`.',
    pattern: ANSWERED_ID.source,
    example: '64f0a1b2c3d4e5f6a7b8cb00',
  })
  callId!: string;

  @ApiProperty({
    description:
      'A random, unguessable reference to this call: pass it to the SDK as the `x-call-token` call header beside `x-call-id`. ' +
      'Sinch\'s ICE is connected only when both match the call and the Sinch user placing it is the call\'s user. ' +
      'Null for calls recorded before it existed.',
    type: String,
    nullable: true,
    pattern: CALL_TOKEN.source,
    example: '3q2-7wAbCdEfGhIjKlMnOpQrStUvWxYz',
  })
  callToken!: string | null;

  @ApiProperty({ description: 'Who carries the call.', enum: DOCUMENTED_PROVIDER_NAMES, example: 'sinch' })
  provider!: string;

  @ApiProperty({ description: 'The provider\'s own id for the call, once known.', type: String, nullable: true, example: null })
  providerCallId!: string | null;

  @ApiProperty({ description: 'Whether the call was placed by the user or received.', enum: CALL_DIRECTIONS, example: 'outbound' })
  direction!: CallDirection;

  @ApiProperty({ description: 'Where the call is in its life.', enum: CALL_STATUSES, example: 'initiated' })
  status!: CallStatus;

  @ApiProperty({ description: 'The calling number (the caller ID), E.164.', pattern: E164_PHONE_NUMBER.source, example: '+14165550100' })
  from!: string;

  @ApiProperty({ description: 'The called number, E.164.', pattern: E164_PHONE_NUMBER.source, example: '+14165550199' })
  to!: string;

  @ApiProperty({
    description: 'The contact the call is linked to, if any.',
    type: String,
    pattern: ANSWERED_ID.source,
    nullable: true,
    example: '64f0a1b2c3d4e5f6a7b8c9d0',
  })
  contactId!: string | null;

  @ApiProperty({ description: 'The CRM conversation the call belongs to, if any.', type: String, nullable: true, example: null })
  conversationId!: string | null;

  @ApiProperty({ description: 'The organization that owns the call.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c000' })
  organizationId!: string;

  @ApiProperty({ description: 'The user who placed the call.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c001' })
  userId!: string;

  @ApiProperty({
    description: 'The provider number used as caller ID, E.164.',
    type: String,
    pattern: E164_PHONE_NUMBER.source,
    nullable: true,
    example: '+14165550100',
  })
  providerPhoneNumber!: string | null;

  @ApiProperty({ description: 'When the call was recorded (ISO-8601, UTC).', format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  startTime!: string;

  @ApiProperty({ description: 'When the callee answered (ISO-8601, UTC).', type: String, format: 'date-time', nullable: true, example: null })
  answerTime!: string | null;

  @ApiProperty({ description: 'When the call ended (ISO-8601, UTC).', type: String, format: 'date-time', nullable: true, example: null })
  endTime!: string | null;

  @ApiProperty({ description: 'Talk time in whole seconds, known once the call has ended.', type: 'integer', nullable: true, example: null })
  duration!: number | null;

  @ApiProperty({
    description: 'Why the call ended, as the dialer or the provider reported it (for Sinch: CALLEEHANGUP, CALLERHANGUP, CANCEL, TIMEOUT, ...; an open set).',
    type: String,
    nullable: true,
    example: null,
  })
  endReason!: string | null;

  // Inline rather than a $ref: OpenAPI 3.0 cannot make a referenced schema nullable.
  @ApiProperty({
    description: 'What the provider charged, once the call has ended: `amount` in `currency` (ISO 4217, as the provider gave it).',
    type: 'object',
    properties: { amount: { type: 'number', example: 0.0125 }, currency: { type: 'string', example: 'USD' } },
    required: ['amount', 'currency'],
    // `required` above is the nested object's list; this keeps `cost` itself required.
    selfRequired: true,
    nullable: true,
    example: null,
  })
  cost!: CallCostDto | null;

  @ApiProperty({ description: 'Recordings of the call.', type: [RecordingDto] })
  recordings!: RecordingDto[];

  @ApiProperty({
    description: 'What came of the call: one of the organization\'s outcomes, if the agent chose one.',
    type: String,
    pattern: ANSWERED_ID.source,
    nullable: true,
    example: null,
  })
  outcomeId!: string | null;

  @ApiProperty({ description: 'The agent\'s notes, plain text.', type: String, nullable: true, example: null })
  notes!: string | null;

  @ApiProperty({ description: 'The agent\'s tags, in the order given.', type: [String], example: [] })
  tags!: string[];

  @ApiProperty({
    description:
      'The call\'s version: it grows with every change of the call, and the `ETag` of a GET or PATCH is this number in quotes. ' +
      'Send it as `If-Match` with a PATCH so that the change is refused (412) if somebody changed the call meanwhile.',
    type: 'integer',
    minimum: 0,
    example: 1,
  })
  version!: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  updatedAt!: string;
}

@ApiSchema({ name: 'CallResponse' })
export class CallResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: CallDto })
  call!: CallDto;
}

@ApiSchema({ name: 'CallListResponse' })
export class CallListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: [CallDto] })
  calls!: CallDto[];

  @ApiProperty({
    description: 'Pass as `cursor` to get the next page; null on the last page.',
    type: String,
    pattern: TIME_ID_CURSOR.source,
    nullable: true,
    example: null,
  })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'CallPreconditionFailedResponse', description: 'The error shape of a PATCH whose `If-Match` no longer matches, with the call as it is.' })
export class CallPreconditionFailedResponseDto extends ErrorResponseDto {
  @ApiProperty({ description: 'The HTTP status code, repeated.', type: 'integer', example: 412 })
  declare statusCode: number;

  @ApiProperty({ description: 'The short name of the status.', example: 'Precondition Failed' })
  declare error: string;

  @ApiProperty({ description: 'What went wrong, for a person to read.', example: 'The call was changed since version 3; it is now version 4' })
  declare message: string;

  @ApiProperty({ description: 'The call as it is now, with its current `version`.', type: () => CallDto })
  call!: CallDto;
}

@ApiSchema({ name: 'CallConflictResponse', description: 'The error shape of a conflicting report, with the call as it is.' })
export class CallConflictResponseDto extends ErrorResponseDto {
  @ApiProperty({ description: 'The HTTP status code, repeated.', type: 'integer', example: 409 })
  declare statusCode: number;

  @ApiProperty({ description: 'The short name of the status.', example: 'Conflict' })
  declare error: string;

  @ApiProperty({ description: 'What went wrong, for a person to read.', example: 'The call has already ended as completed; it cannot become failed' })
  declare message: string;

  @ApiProperty({ description: 'The call as it is, so the client can see what it conflicts with.', type: CallDto })
  call!: CallDto;
}
