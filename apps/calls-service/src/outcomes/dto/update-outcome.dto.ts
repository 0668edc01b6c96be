import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { CreateOutcomeDto } from './create-outcome.dto';

@ApiSchemaOf({
  name: 'UpdateCallOutcomeRequest',
  description: 'Only the fields given change; `null` clears the description.',
  additionalProperties: false,
})
export class UpdateOutcomeDto extends PartialType(CreateOutcomeDto) {
  @ApiPropertyOptional({
    description: '`true` keeps the outcome on the calls that have it but lets no call choose it any more; `false` brings it back.',
    example: true,
  })
  @ValidateIf((dto: UpdateOutcomeDto) => dto.archived !== undefined)
  @IsBoolean()
  archived?: boolean;
}
