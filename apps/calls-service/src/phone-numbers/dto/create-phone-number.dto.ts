import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { IsE164PhoneNumber, NormalizePhoneNumber } from '../../common/phone-number';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
export const MAX_USERS_PER_NUMBER = 500;

/** Validates a field only when it is present; `null` is refused rather than taken as "absent". */
const WhenGiven = (field: string) => ValidateIf((dto: Record<string, unknown>) => dto[field] !== undefined);

const numberDescription = 'The Sinch number, E.164 (spaces, dashes and parentheses after the `+` are removed).';
export const NumberField = () => applyDecorators(NormalizePhoneNumber(), IsString(), MaxLength(32), IsE164PhoneNumber());

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
      type: [String],
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
  @ApiProperty({ description: numberDescription, maxLength: 32, example: '+14165550100' })
  @NumberField()
  number!: string;

  @ApiPropertyOptional({ description: 'A name for people to tell numbers apart.', type: String, maxLength: 100, nullable: true, example: 'Toronto sales' })
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

export { numberDescription, WhenGiven };
