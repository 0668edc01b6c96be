import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { NO_NUL, NOT_BLANK, NOT_BLANK_NO_NUL } from '../../common/text';

export const MAX_OUTCOME_NAME_LENGTH = 60;
export const MAX_OUTCOME_DESCRIPTION_LENGTH = 500;
export const OUTCOME_NAME_RULE =
  'Unique in the organization, ignoring case; leading and trailing whitespace is removed, and something must remain.';

@ApiSchemaOf({ name: 'CreateCallOutcomeRequest', additionalProperties: false })
export class CreateOutcomeDto {
  @ApiProperty({ description: OUTCOME_NAME_RULE, maxLength: MAX_OUTCOME_NAME_LENGTH, pattern: NOT_BLANK_NO_NUL.source, example: 'Meeting booked' })
  @IsString()
  @MaxLength(MAX_OUTCOME_NAME_LENGTH)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name!: string;

  @ApiPropertyOptional({
    description: 'Leading and trailing whitespace is removed.',
    type: String,
    maxLength: MAX_OUTCOME_DESCRIPTION_LENGTH,
    pattern: NO_NUL.source,
    nullable: true,
    example: 'The contact agreed to a demo.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_OUTCOME_DESCRIPTION_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({ description: 'Whether it counts as a success in the statistics; false unless given.', example: true })
  @ValidateIf((dto: CreateOutcomeDto) => dto.positive !== undefined)
  @IsBoolean()
  positive?: boolean;
}
