import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ID_CURSOR } from '../../common/cursor';
import { ANSWERED_ID } from '../../common/object-id';
import { E164_PHONE_NUMBER } from '../../common/phone-number';

@ApiSchema({ name: 'Contact', description: 'Someone the organization calls.' })
export class ContactDto {
  @ApiProperty({ pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c9d0' })
  _id!: string;

  @ApiProperty({ description: 'The organization that owns the contact.', pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8c000' })
  organizationId!: string;

  @ApiProperty({ example: 'Ada' })
  firstName!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Lovelace' })
  lastName!: string | null;

  @ApiProperty({ type: String, format: 'email', nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Analytical Engines Ltd' })
  company!: string | null;

  @ApiProperty({ description: 'The main number, E.164.', type: String, pattern: E164_PHONE_NUMBER.source, nullable: true, example: '+14165550199' })
  phoneNumber!: string | null;

  @ApiProperty({
    description: 'More numbers, E.164.',
    type: 'array',
    items: { type: 'string', pattern: E164_PHONE_NUMBER.source },
    example: ['+14165550123'],
  })
  phoneNumbers!: string[];

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  updatedAt!: string;
}

@ApiSchema({ name: 'ContactResponse' })
export class ContactResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: ContactDto })
  contact!: ContactDto;
}

@ApiSchema({ name: 'ContactListResponse' })
export class ContactListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: [ContactDto] })
  contacts!: ContactDto[];

  @ApiProperty({
    description: 'Pass as `cursor` to get the next page; null on the last page.',
    type: String,
    pattern: ID_CURSOR.source,
    nullable: true,
    example: null,
  })
  nextCursor!: string | null;
}
