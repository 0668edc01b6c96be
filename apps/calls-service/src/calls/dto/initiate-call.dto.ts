import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import {
  IsWellFormedPhoneNumber,
  MAX_TYPED_PHONE_NUMBER_LENGTH,
  NormalizePhoneNumber,
  DIALLED_PHONE_NUMBER_RULES,
  TYPED_PHONE_NUMBER,
} from '../../common/phone-number';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

@ApiSchemaOf({
  name: 'InitiateCallRequest',
  description: 'Give `contactId`, `phoneNumber`, or both (a contact may have several numbers).',
  additionalProperties: false,
  anyOf: [{ required: ['contactId'] }, { required: ['phoneNumber'] }],
})
export class InitiateCallDto {
  @ApiPropertyOptional({
    description: 'The contact to call and link the call to. Alone, the contact\'s main number is dialled.',
    pattern: OBJECT_ID.source,
    example: '64f0a1b2c3d4e5f6a7b8c9d0',
  })
  // Required only when phoneNumber is absent; null is never accepted.
  @ValidateIf((dto: InitiateCallDto) => dto.contactId !== undefined || dto.phoneNumber === undefined)
  @IsDefined({ message: 'contactId or phoneNumber is required' })
  @IsString()
  @Matches(OBJECT_ID, { message: 'contactId must be a 24-character hexadecimal id' })
  contactId?: string;

  @ApiPropertyOptional({
    description: `The number to dial, in E.164. ${DIALLED_PHONE_NUMBER_RULES}`,
    maxLength: MAX_TYPED_PHONE_NUMBER_LENGTH,
    pattern: TYPED_PHONE_NUMBER.source,
    example: '+14165550199',
  })
  @ValidateIf((dto: InitiateCallDto) => dto.phoneNumber !== undefined)
  @NormalizePhoneNumber()
  @IsString()
  @MaxLength(MAX_TYPED_PHONE_NUMBER_LENGTH)
  @IsWellFormedPhoneNumber()
  phoneNumber?: string;
}
