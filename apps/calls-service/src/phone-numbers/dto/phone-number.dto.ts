import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'PhoneNumber', description: 'A Sinch number of the organization, used as caller ID.' })
export class PhoneNumberDto {
  @ApiProperty({ example: '64f0a1b2c3d4e5f6a7b8ca00' })
  _id!: string;

  @ApiProperty({ description: 'The organization that owns the number.', example: '64f0a1b2c3d4e5f6a7b8c000' })
  organizationId!: string;

  @ApiProperty({ description: 'The number, E.164.', example: '+14165550100' })
  number!: string;

  @ApiProperty({ description: 'A name for people to tell numbers apart.', type: String, nullable: true, example: 'Toronto sales' })
  label!: string | null;

  @ApiProperty({ description: 'Whether this is the organization\'s default caller ID (at most one number is).', example: true })
  isDefault!: boolean;

  @ApiProperty({ description: 'Users who call from this number.', type: [String], example: ['64f0a1b2c3d4e5f6a7b8c001'] })
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

  @ApiProperty({ description: 'Every number of the organization, in E.164 order.', type: [PhoneNumberDto] })
  phoneNumbers!: PhoneNumberDto[];
}
