import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ANSWERED_ID } from '../../common/object-id';
import { E164_PHONE_NUMBER } from '../../common/phone-number';
import { NUMBER_CURSOR } from '../../common/cursor';

@ApiSchema({ name: 'PhoneNumber', description: 'A Sinch number of the organization, used as caller ID.' })
export class PhoneNumberDto {
  @ApiProperty({ pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8ca00' })
  _id!: string;

  @ApiProperty({ description: 'The organization that owns the number.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c000' })
  organizationId!: string;

  @ApiProperty({ description: 'The number, E.164.', pattern: E164_PHONE_NUMBER.source, example: '+14165550100' })
  number!: string;

  @ApiProperty({ description: 'A name for people to tell numbers apart.', type: String, nullable: true, example: 'Toronto sales' })
  label!: string | null;

  @ApiProperty({ description: 'Whether this is the organization\'s default caller ID (at most one number is).', example: true })
  isDefault!: boolean;

  @ApiProperty({
    description: 'Users who call from this number.',
    type: 'array',
    items: { type: 'string', pattern: ANSWERED_ID.source },
    example: ['64f0a1b2c3d4e5f6a7b8c001'],
  })
  userIds!: string[];

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  updatedAt!: string;
}

@ApiSchema({ name: 'PhoneNumberResponse' })
export class PhoneNumberResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: PhoneNumberDto })
  phoneNumber!: PhoneNumberDto;
}

@ApiSchema({ name: 'PhoneNumberListResponse' })
export class PhoneNumberListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ description: 'The page\'s numbers, in E.164 order.', type: [PhoneNumberDto] })
  phoneNumbers!: PhoneNumberDto[];

  @ApiProperty({
    description: 'Pass as `cursor` to get the next page; null on the last page.',
    type: String,
    pattern: NUMBER_CURSOR.source,
    nullable: true,
    example: null,
  })
  nextCursor!: string | null;
}
