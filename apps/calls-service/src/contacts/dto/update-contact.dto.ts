import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { NOT_BLANK, NOT_BLANK_NO_NUL } from '../../common/text';
import { CreateContactDto, FIRST_NAME_RULE } from './create-contact.dto';

@ApiSchemaOf({
  name: 'UpdateContactRequest',
  description: 'Only the fields given change; `null` clears an optional field.',
  additionalProperties: false,
})
export class UpdateContactDto extends PartialType(OmitType(CreateContactDto, ['firstName'] as const)) {
  // A contact always has a first name: it may change but never be cleared.
  @ApiPropertyOptional({ description: FIRST_NAME_RULE, maxLength: 100, pattern: NOT_BLANK_NO_NUL.source, example: 'Ada' })
  @ValidateIf((dto: UpdateContactDto) => dto.firstName !== undefined)
  @IsString()
  @MaxLength(100)
  @Matches(NOT_BLANK, { message: 'firstName must not be blank' })
  firstName?: string;
}
