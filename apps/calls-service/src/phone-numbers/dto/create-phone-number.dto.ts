import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { NO_NUL } from '../../common/text';
import { IsE164PhoneNumber, MAX_TYPED_PHONE_NUMBER_LENGTH, NormalizePhoneNumber, PHONE_NUMBER_RULES, TYPED_PHONE_NUMBER } from '../../common/phone-number';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
export const MAX_USERS_PER_NUMBER = 500;

/** Validates a field only when it is present; `null` is refused rather than taken as "absent". */
const WhenGiven = (field: string) => ValidateIf((dto: Record<string, unknown>) => dto[field] !== undefined);

const numberDescription = `The Sinch number, in E.164. ${PHONE_NUMBER_RULES}`;
export const NumberField = () =>
  applyDecorators(NormalizePhoneNumber(), IsString(), MaxLength(MAX_TYPED_PHONE_NUMBER_LENGTH), IsE164PhoneNumber());
/** How openapi.yaml describes the number field. */
export const numberSchema = { description: numberDescription, maxLength: MAX_TYPED_PHONE_NUMBER_LENGTH, pattern: TYPED_PHONE_NUMBER.source, example: '+14165550100' };

export const IsDefaultField = () =>
  applyDecorators(
    ApiPropertyOptional({ description: '`true` makes this the organization\'s default caller ID, in place of any other.', example: true }),
    WhenGiven('isDefault'),
    IsBoolean(),
  );

export const UserIdsField = () =>
  applyDecorators(
    ApiPropertyOptional({
      description: 'Users who call from this number; a user assigned here is taken off any other number of the organization.',
      type: 'array',
      items: { type: 'string', pattern: OBJECT_ID.source },
      maxItems: MAX_USERS_PER_NUMBER,
      example: ['64f0a1b2c3d4e5f6a7b8c001'],
    }),
    Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((id) => (typeof id === 'string' ? id.toLowerCase() : id)) : value)),
    WhenGiven('userIds'),
    IsArray(),
    ArrayMaxSize(MAX_USERS_PER_NUMBER),
    IsString({ each: true }),
    Matches(OBJECT_ID, { each: true, message: 'each value in userIds must be a 24-character hexadecimal id' }),
  );

@ApiSchemaOf({ name: 'CreatePhoneNumberRequest', additionalProperties: false })
export class CreatePhoneNumberDto {
  @ApiProperty(numberSchema)
  @NumberField()
  number!: string;

  @ApiPropertyOptional({ description: 'A name for people to tell numbers apart.', type: String, maxLength: 100, pattern: NO_NUL.source, nullable: true, example: 'Toronto sales' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsOptional()
  @IsString()
  @MaxLength(100)
  label?: string | null;

  @IsDefaultField()
  isDefault?: boolean;

  @UserIdsField()
  userIds?: string[];
}

export { WhenGiven };
