import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { CreateContactDto } from './create-contact.dto';

@ApiSchemaOf({
  name: 'UpdateContactRequest',
  description: 'Only the fields given change; `null` clears an optional field.',
  additionalProperties: false,
})
export class UpdateContactDto extends PartialType(OmitType(CreateContactDto, ['firstName'] as const)) {
  // A contact always has a first name: it may change but never be cleared.
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'Ada' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((dto: UpdateContactDto) => dto.firstName !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  firstName?: string;
}
