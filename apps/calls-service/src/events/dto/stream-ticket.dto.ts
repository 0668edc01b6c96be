import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'StreamTicketResponse' })
export class StreamTicketResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({
    description:
      'Pass as `?ticket=` to `GET /api/events/stream` (for a browser\'s `EventSource`, which cannot send an Authorization header). ' +
      'Single use, bound to the caller\'s user and organization; the stream it opens ends when the bearer token that asked for it expires.',
    pattern: '^[A-Za-z0-9_-]{43}$',
    example: 'q3Jk0l8zv2bW1cUeR5nYf7TgHs9aXpLmDo4iKe6uZwA',
  })
  ticket!: string;

  @ApiProperty({ description: 'When the ticket can no longer be redeemed: 60 s from now, or the token\'s expiry if sooner.', format: 'date-time' })
  expiresAt!: string;
}
