import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApiSchemaOf } from '../../common/api-schema';
import { NO_NUL } from '../../common/text';
import { EVENT_TYPES } from '../../events/event.schema';

export const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;
/** An absolute http(s) URL, as far as a pattern can say; the service checks the rest (https, SSRF). */
const URL_PATTERN = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\s/?#\u0000]+([/?][^\s#\u0000]*)?$/;

/** Validates a field only when it is present; `null` is refused rather than taken as "absent". */
const WhenGiven = (field: string) => ValidateIf((dto: Record<string, unknown>) => dto[field] !== undefined);

const UrlField = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({
      description:
        'Where to POST the events: an `https://` URL (`http://` only where `WEBHOOK_ALLOW_HTTP` is on). Refused when its host ' +
        'resolves to a loopback, private, link-local or metadata address, unless `WEBHOOK_ALLOW_PRIVATE_URLS` is on.',
      maxLength: MAX_URL_LENGTH,
      pattern: URL_PATTERN.source,
      example: 'https://timeline.example.com/hooks/calls',
    }),
    ...(required ? [] : [WhenGiven('url')]),
    IsString(),
    MaxLength(MAX_URL_LENGTH),
    Matches(URL_PATTERN, { message: 'url must be an absolute https:// URL' }),
  );

const EventsField = () =>
  applyDecorators(
    ApiPropertyOptional({
      description: 'The event types to send; absent or empty: every type, including types added later.',
      type: 'array',
      items: { type: 'string', enum: [...EVENT_TYPES] },
      maxItems: EVENT_TYPES.length,
      uniqueItems: true,
      example: ['call.ended'],
    }),
    WhenGiven('events'),
    IsArray(),
    ArrayMaxSize(EVENT_TYPES.length),
    ArrayUnique(),
    IsIn(EVENT_TYPES, { each: true }),
  );

const DescriptionField = () =>
  applyDecorators(
    ApiPropertyOptional({
      description: 'A note for people: what the endpoint is for.',
      type: String,
      maxLength: MAX_DESCRIPTION_LENGTH,
      pattern: NO_NUL.source,
      nullable: true,
      example: 'Timeline service',
    }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsOptional(),
    IsString(),
    MaxLength(MAX_DESCRIPTION_LENGTH),
  );

@ApiSchemaOf({ name: 'CreateWebhookEndpointRequest', additionalProperties: false })
export class CreateWebhookEndpointDto {
  @UrlField(true)
  url!: string;

  @EventsField()
  events?: string[];

  @DescriptionField()
  description?: string | null;
}

@ApiSchemaOf({
  name: 'UpdateWebhookEndpointRequest',
  description: 'Only the fields given change; `description: null` clears it. `enabled: true` also clears the count of failed attempts.',
  additionalProperties: false,
})
export class UpdateWebhookEndpointDto {
  @UrlField(false)
  url?: string;

  @EventsField()
  events?: string[];

  @DescriptionField()
  description?: string | null;

  @ApiPropertyOptional({ description: '`false` stops sending to the endpoint; `true` starts again, after the service disabled it too.', example: true })
  @WhenGiven('enabled')
  @IsBoolean()
  enabled?: boolean;
}
