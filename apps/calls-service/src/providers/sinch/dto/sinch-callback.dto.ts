import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ApiSchemaOf } from '../../../common/api-schema';
import { NOT_BLANK } from '../../../common/text';
import { PROVIDER_CALL_ID } from '../sinch-events';

@ApiSchema({ name: 'SinchCallHeader', description: 'A header the SDK client set on the call.' })
export class SinchCallHeaderDto {
  @ApiProperty({ example: 'x-call-id' })
  key!: string;

  @ApiProperty({ example: '64f0a1b2c3d4e5f6a7b8cb00' })
  value!: string;
}

@ApiSchema({ name: 'SinchMoney' })
export class SinchMoneyDto {
  @ApiProperty({ example: 'USD' })
  currencyId!: string;

  @ApiProperty({ example: 0.0125 })
  amount!: number;
}

/** Documents what Sinch sends; the body is read by the Sinch provider, not by class-validator. */
@ApiSchemaOf({
  name: 'SinchCallbackEvent',
  description:
    'A Sinch Voice callback: `ice` (the call is being placed), `ace` (answered), `dice` (disconnected) or `notify` ' +
    '(`recording_finished`, `recording_available`). Other events are acknowledged and ignored. Sinch may add fields.',
  additionalProperties: true,
})
export class SinchCallbackEventDto {
  @ApiProperty({ description: 'The event type.', pattern: NOT_BLANK.source, example: 'dice' })
  event!: string;

  @ApiProperty({
    description:
      'Sinch\'s id for the call (our `providerCallId`): printable ASCII without spaces, at most 128 characters. ' +
      'An event the service ignores is acknowledged without one.',
    pattern: PROVIDER_CALL_ID.source,
    example: '822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257',
  })
  callid!: string;

  @ApiPropertyOptional({ description: 'When the event happened (UTC).', example: '2026-11-27T10:01:05Z' })
  timestamp?: string;

  @ApiPropertyOptional({ example: 1 })
  version?: number;

  @ApiPropertyOptional({
    description: 'Headers the SDK client set; the dialer sets `x-call-id` to our call id and `x-call-token` to its `callToken`. Only an ICE\'s headers are read.',
    type: [SinchCallHeaderDto],
  })
  callHeaders?: SinchCallHeaderDto[];

  @ApiPropertyOptional({
    description: 'ICE of an in-app (`mxp`) call: the Sinch user placing it, the `userId` the SDK registered with (see `/api/calls/sdk/token`).',
    example: '64f0a1b2c3d4e5f6a7b8c000-64f0a1b2c3d4e5f6a7b8c001',
  })
  user?: string;

  @ApiPropertyOptional({ description: 'DiCE: how the call ended (an open set: ANSWERED, BUSY, NOANSWER, FAILED, ...).', example: 'ANSWERED' })
  result?: string;

  @ApiPropertyOptional({ description: 'DiCE: why the call ended (an open set: CALLEEHANGUP, CALLERHANGUP, CANCEL, TIMEOUT, ...).', example: 'CALLEEHANGUP' })
  reason?: string;

  @ApiPropertyOptional({ description: 'DiCE: talk time in seconds.', example: 60 })
  duration?: number;

  @ApiPropertyOptional({ description: 'DiCE: what the call cost.', type: SinchMoneyDto })
  debit?: SinchMoneyDto;

  @ApiPropertyOptional({ description: 'notify: what is being notified.', example: 'recording_available' })
  type?: string;

  @ApiPropertyOptional({ description: 'notify: where the recording is.', example: 'https://recordings.example.com/abc.mp3' })
  destination?: string;
}
