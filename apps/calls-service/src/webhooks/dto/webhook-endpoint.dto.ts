import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ANSWERED_ID } from '../../common/object-id';
import { EVENT_TYPES } from '../../events/event.schema';

@ApiSchema({ name: 'WebhookEndpoint', description: 'Where the organization\'s call events are POSTed, signed. Its secret is never shown here.' })
export class WebhookEndpointDto {
  @ApiProperty({ pattern: ANSWERED_ID.source, example: '64f0a1b2c3d4e5f6a7b8cb00' })
  _id!: string;

  @ApiProperty({ example: 'https://timeline.example.com/hooks/calls' })
  url!: string;

  @ApiProperty({
    description: 'The event types sent; empty: every type.',
    type: 'array',
    items: { type: 'string', enum: [...EVENT_TYPES] },
    example: ['call.ended'],
  })
  events!: string[];

  @ApiProperty({ type: String, nullable: true, example: 'Timeline service' })
  description!: string | null;

  @ApiProperty({
    description: 'Whether events are sent to it. The service turns it off after a 410, or after `WEBHOOK_DISABLE_AFTER` failed attempts in a row.',
    example: true,
  })
  enabled!: boolean;

  @ApiProperty({
    description: 'Why the service disabled it (null when enabled, or disabled by an admin).',
    type: String,
    nullable: true,
    example: null,
  })
  disabledReason!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' })
  updatedAt!: string;
}

export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{43}=$/;

@ApiSchema({ name: 'WebhookEndpointWithSecret', description: 'An endpoint with its signing secret, shown only when it is created and when the secret is rotated.' })
export class WebhookEndpointWithSecretDto extends WebhookEndpointDto {
  @ApiProperty({
    description: 'The signing secret (Standard Webhooks): `whsec_` and the base64 of 32 random bytes. Keep it: it is never shown again.',
    pattern: SECRET_PATTERN.source,
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1VH3h1pB8Dk=',
  })
  secret!: string;
}

@ApiSchema({ name: 'WebhookEndpointResponse' })
export class WebhookEndpointResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: WebhookEndpointDto })
  endpoint!: WebhookEndpointDto;
}

@ApiSchema({ name: 'WebhookEndpointWithSecretResponse' })
export class WebhookEndpointWithSecretResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: WebhookEndpointWithSecretDto })
  endpoint!: WebhookEndpointWithSecretDto;
}

@ApiSchema({ name: 'WebhookEndpointListResponse' })
export class WebhookEndpointListResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ description: 'Every endpoint of the organization, oldest first.', type: [WebhookEndpointDto] })
  endpoints!: WebhookEndpointDto[];
}
