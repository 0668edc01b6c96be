import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ANSWERED_ID } from '../../common/object-id';
import { PageSize, DEFAULT_PAGE_SIZE } from '../../common/page-size.decorator';
import { DELIVERY_STATUSES, DeliveryStatus } from '../schemas/webhook.schema';

/** A feed event's id, or a `webhook.test` event's: a delivery's `webhook-id`, and the deliveries' cursor. */
export const WEBHOOK_EVENT_ID = /^[0-9a-f]{24}:([0-9]{12}|test-[0-9a-f]{24})$/;

@ApiSchema({ name: 'WebhookAttempt', description: 'One try at sending the event.' })
export class WebhookAttemptDto {
  @ApiProperty({ description: 'When it was sent.', format: 'date-time' })
  at!: string;

  @ApiProperty({ description: 'The receiver\'s HTTP status; null when no answer came.', type: 'integer', nullable: true, example: 500 })
  statusCode!: number | null;

  @ApiProperty({ description: 'Why no answer came (time-out, refused connection, TLS, refused URL); null when one did.', type: String, nullable: true, example: null })
  error!: string | null;

  @ApiProperty({ description: 'From sending to the answer or the error, in milliseconds.', type: 'integer', example: 120 })
  durationMs!: number;
}

@ApiSchema({ name: 'WebhookDelivery', description: 'One event for one endpoint, and every attempt at sending it.' })
export class WebhookDeliveryDto {
  @ApiProperty({ description: 'The delivery\'s id: `<endpointId>:<eventId>`.', example: '64f0a1b2c3d4e5f6a7b8cb00:64f0a1b2c3d4e5f6a7b8c000:000000000001' })
  _id!: string;

  @ApiProperty({ pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8cb00' })
  endpointId!: string;

  @ApiProperty({ description: 'The event\'s id, sent as `webhook-id` on every attempt.', pattern: WEBHOOK_EVENT_ID.source, example: '64f0a1b2c3d4e5f6a7b8c000:000000000001' })
  eventId!: string;

  @ApiProperty({ description: 'The event\'s type, `webhook.test` for a test.', example: 'call.ended' })
  eventType!: string;

  @ApiProperty({
    description: '`pending` until the endpoint answers 2xx (`succeeded`) or the retry schedule runs out (`failed`).',
    enum: DELIVERY_STATUSES,
    example: 'succeeded',
  })
  status!: DeliveryStatus;

  @ApiProperty({ description: 'Oldest first.', type: [WebhookAttemptDto] })
  attempts!: WebhookAttemptDto[];

  @ApiProperty({ description: 'When the next attempt is due; null unless pending.', type: String, format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

@ApiSchema({ name: 'WebhookDeliveryResponse' })
export class WebhookDeliveryResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: WebhookDeliveryDto })
  delivery!: WebhookDeliveryDto;
}

@ApiSchema({ name: 'WebhookDeliveryListResponse' })
export class WebhookDeliveryListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ description: 'Newest event first.', type: [WebhookDeliveryDto] })
  deliveries!: WebhookDeliveryDto[];

  @ApiProperty({ description: 'Pass as `cursor` to get the next page; null on the last page.', type: String, pattern: WEBHOOK_EVENT_ID.source, nullable: true, example: null })
  nextCursor!: string | null;
}

export class ListWebhookDeliveriesQueryDto {
  @ApiPropertyOptional({ description: 'Only deliveries in this status.', enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE })
  @PageSize()
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: WEBHOOK_EVENT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(WEBHOOK_EVENT_ID, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
