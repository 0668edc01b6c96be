import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { NOT_BLANK, NOT_BLANK_NO_NUL } from '../../common/text';
import { CreateOutcomeDto, MAX_OUTCOME_NAME_LENGTH, OUTCOME_NAME_RULE } from './create-outcome.dto';

@ApiSchemaOf({
  name: 'UpdateCallOutcomeRequest',
  description: 'Only the fields given change; `null` clears the description.',
  additionalProperties: false,
})
// Name and positive are declared afresh: PartialType's IsOptional would let null through, and an outcome
// always has a name and a positive flag. Only the description may be cleared with null.
export class UpdateOutcomeDto extends PartialType(OmitType(CreateOutcomeDto, ['name', 'positive'] as const)) {
  @ApiPropertyOptional({ description: OUTCOME_NAME_RULE, maxLength: MAX_OUTCOME_NAME_LENGTH, pattern: NOT_BLANK_NO_NUL.source, example: 'Meeting booked' })
  @ValidateIf((dto: UpdateOutcomeDto) => dto.name !== undefined)
  @IsString()
  @MaxLength(MAX_OUTCOME_NAME_LENGTH)
  @Matches(NOT_BLANK, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ description: 'Whether it counts as a success in the statistics.', example: true })
  @ValidateIf((dto: UpdateOutcomeDto) => dto.positive !== undefined)
  @IsBoolean()
  positive?: boolean;

  @ApiPropertyOptional({
    description: '`true` keeps the outcome on the calls that have it but lets no call choose it any more; `false` brings it back.',
    example: true,
  })
  @ValidateIf((dto: UpdateOutcomeDto) => dto.archived !== undefined)
  @IsBoolean()
  archived?: boolean;
}
