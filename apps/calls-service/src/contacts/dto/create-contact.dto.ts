import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import {
  IsWellFormedPhoneNumber,
  MAX_TYPED_PHONE_NUMBER_LENGTH,
  NormalizePhoneNumber,
  STORED_PHONE_NUMBER_RULES,
  TYPED_PHONE_NUMBER,
} from '../../common/phone-number';
import { NO_NUL, NOT_BLANK, NOT_BLANK_NO_NUL } from '../../common/text';

export const FIRST_NAME_RULE = 'Leading and trailing whitespace is removed, and something must remain.';
const TRIMMED = 'Leading and trailing whitespace is removed.';

@ApiSchemaOf({ name: 'CreateContactRequest', additionalProperties: false })
export class CreateContactDto {
  @ApiProperty({ description: FIRST_NAME_RULE, maxLength: 100, pattern: NOT_BLANK_NO_NUL.source, example: 'Ada' })
  @IsString()
  @MaxLength(100)
  @Matches(NOT_BLANK, { message: 'firstName must not be blank' })
  firstName!: string;

  @ApiPropertyOptional({ description: TRIMMED, type: String, maxLength: 100, pattern: NO_NUL.source, nullable: true, example: 'Lovelace' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;

  @ApiPropertyOptional({ description: 'Kept in lower case.', type: String, format: 'email', maxLength: 254, nullable: true, example: 'ada@example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string | null;

  @ApiPropertyOptional({ description: TRIMMED, type: String, maxLength: 200, pattern: NO_NUL.source, nullable: true, example: 'Analytical Engines Ltd' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  company?: string | null;

  @ApiPropertyOptional({
    description: `The main number, in E.164. ${STORED_PHONE_NUMBER_RULES}`,
    type: String,
    maxLength: MAX_TYPED_PHONE_NUMBER_LENGTH,
    pattern: TYPED_PHONE_NUMBER.source,
    nullable: true,
    example: '+14165550199',
  })
  @NormalizePhoneNumber()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TYPED_PHONE_NUMBER_LENGTH)
  @IsWellFormedPhoneNumber()
  phoneNumber?: string | null;

  @ApiPropertyOptional({
    description: `More numbers, in E.164. ${STORED_PHONE_NUMBER_RULES}`,
    type: 'array',
    items: { type: 'string', maxLength: MAX_TYPED_PHONE_NUMBER_LENGTH, pattern: TYPED_PHONE_NUMBER.source },
    maxItems: 20,
    nullable: true,
    example: ['+14165550123'],
  })
  @NormalizePhoneNumber()
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(MAX_TYPED_PHONE_NUMBER_LENGTH, { each: true })
  @IsWellFormedPhoneNumber({ each: true })
  phoneNumbers?: string[] | null;
}
