import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { IsDateTime } from '../../common/date-time';
import { NO_NUL } from '../../common/text';
import { CALL_STATUSES, CallStatus } from '../../call-model/call-status';
import { MAX_REPORTED_TIME_AHEAD_MS } from '../../call-model/call-update';

const PRINTABLE_WITHOUT_SPACES = /^[!-~]+$/;
const SKEW_SECONDS = MAX_REPORTED_TIME_AHEAD_MS / 1000;
/** A field may be left out, but when present it must be valid: null is never a value here. */
const Given = () => ValidateIf((_dto: object, value: unknown) => value !== undefined);

@ApiSchemaOf({
  name: 'UpdateCallRequest',
  description: 'What the SDK saw; give only what is known. No other fields are accepted, and none may be null.',
  additionalProperties: false,
})
export class UpdateCallDto {
  @ApiPropertyOptional({ description: 'The status the SDK reported.', enum: CALL_STATUSES, example: 'in-progress' })
  @Given()
  @IsIn(CALL_STATUSES)
  status?: CallStatus;

  @ApiPropertyOptional({
    description: 'The provider\'s own id for the call, unique per provider across all calls (printable ASCII, no spaces).',
    minLength: 1,
    maxLength: 128,
    pattern: PRINTABLE_WITHOUT_SPACES.source,
    example: '5b1c7e1a-0a5e-4c1f-9d3e-2f6a7b8c9d0e',
  })
  @Given()
  @IsString()
  @Length(1, 128)
  @Matches(PRINTABLE_WITHOUT_SPACES, { message: 'providerCallId must be printable ASCII without spaces' })
  providerCallId?: string;

  @ApiPropertyOptional({
    description:
      'When the callee answered, for a call that is in-progress or has ended. Not before the call\'s `startTime`, ' +
      `nor more than ${SKEW_SECONDS} seconds ahead of the server's clock.`,
    format: 'date-time',
    example: '2026-11-27T10:00:05.000Z',
  })
  @Given()
  @IsDateTime()
  answerTime?: string;

  @ApiPropertyOptional({
    description:
      'When the call ended, for a call that has ended. Not before `startTime` or `answerTime`, ' +
      `nor more than ${SKEW_SECONDS} seconds ahead of the server's clock.`,
    format: 'date-time',
    example: '2026-11-27T10:02:47.000Z',
  })
  @Given()
  @IsDateTime()
  endTime?: string;

  @ApiPropertyOptional({
    description: 'Why the call ended, as the SDK put it, for a call that has ended.',
    minLength: 1,
    maxLength: 100,
    pattern: NO_NUL.source,
    example: 'hung up by callee',
  })
  @Given()
  @IsString()
  @Length(1, 100)
  endReason?: string;

  @ApiPropertyOptional({ description: 'The CRM conversation the call belongs to.', minLength: 1, maxLength: 100, pattern: NO_NUL.source, example: 'conv_4f3a2b1c' })
  @Given()
  @IsString()
  @Length(1, 100)
  conversationId?: string;
}
