import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import {
  IsE164PhoneNumber,
  MAX_TYPED_PHONE_NUMBER_LENGTH,
  NormalizePhoneNumber,
  PHONE_NUMBER_RULES,
  TYPED_PHONE_NUMBER,
} from '../../common/phone-number';

const trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

@ApiSchemaOf({ name: 'CreateContactRequest', additionalProperties: false })
export class CreateContactDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Ada' })
  @trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  firstName!: string;

  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true, example: 'Lovelace' })
  @trim()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;

  @ApiPropertyOptional({ type: String, format: 'email', maxLength: 254, nullable: true, example: 'ada@example.com' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 200, nullable: true, example: 'Analytical Engines Ltd' })
  @trim()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  company?: string | null;

  @ApiPropertyOptional({
    description: `The main number, in E.164. ${PHONE_NUMBER_RULES}`,
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
  @IsE164PhoneNumber()
  phoneNumber?: string | null;

  @ApiPropertyOptional({
    description: `More numbers, in E.164. ${PHONE_NUMBER_RULES}`,
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
  @IsE164PhoneNumber({ each: true })
  phoneNumbers?: string[] | null;
}
