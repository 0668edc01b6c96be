import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { IsDateTime } from '../../common/date-time';
import { NO_NUL, NOT_BLANK, TAG_TEXT } from '../../common/text';
import { MAX_NOTES_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from '../../call-model/call-wrap-up';
import { CALL_STATUSES, CallStatus } from '../../call-model/call-status';
import { MAX_REPORTED_TIME_AHEAD_MS } from '../../call-model/call-update';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
const PRINTABLE_WITHOUT_SPACES = /^[!-~]+$/;
const SKEW_SECONDS = MAX_REPORTED_TIME_AHEAD_MS / 1000;
/** A field may be left out, but when present it must be valid: null is never a value here. */
const Given = () => ValidateIf((_dto: object, value: unknown) => value !== undefined);
/** The agent's fields may be cleared: null is a value, and only absence leaves the field as it is. */
const GivenOrNull = () => ValidateIf((_dto: object, value: unknown) => value !== undefined && value !== null);

@ApiSchemaOf({
  name: 'UpdateCallRequest',
  description:
    'What the SDK saw, and what the agent recorded of the call; give only what is known or changes. No other fields are ' +
    'accepted, and only `outcomeId` and `notes` may be null (which clears them).',
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

  @ApiPropertyOptional({
    description:
      'What came of the call: one of the organization\'s outcomes (GET /api/call-outcomes) that is not archived; null clears it. ' +
      'A call keeps an outcome archived after it was chosen. Unlike the fields above, the agent may change it at any status.',
    type: String,
    pattern: OBJECT_ID.source,
    nullable: true,
    example: '64f0a1b2c3d4e5f6a7b8cc00',
  })
  @GivenOrNull()
  @IsString()
  @Matches(OBJECT_ID, { message: 'outcomeId must be a 24-character hexadecimal id' })
  outcomeId?: string | null;

  @ApiPropertyOptional({
    description: 'The agent\'s notes, plain text, replacing any before; null clears them. May change at any status.',
    type: String,
    maxLength: MAX_NOTES_LENGTH,
    pattern: NO_NUL.source,
    nullable: true,
    example: 'Wants a demo next Tuesday.',
  })
  @GivenOrNull()
  @IsString()
  @MaxLength(MAX_NOTES_LENGTH)
  notes?: string | null;

  @ApiPropertyOptional({
    description:
      `The agent's tags, replacing any before (\`[]\` clears them): at most ${MAX_TAGS}, each at most ${MAX_TAG_LENGTH} characters, ` +
      'not blank, and without commas (the CSV export joins tags with `, `). Leading and trailing whitespace is removed, and of ' +
      'tags that differ only in case the first is kept, in the order given. May change at any status.',
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: MAX_TAG_LENGTH, pattern: TAG_TEXT.source },
    maxItems: MAX_TAGS,
    example: ['demo', 'follow-up'],
  })
  @Given()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @MaxLength(MAX_TAG_LENGTH, { each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each value in tags must not be blank' })
  @Matches(/^[^,]*$/, { each: true, message: 'each value in tags must not contain a comma' })
  tags?: string[];
}
