import { Body, Controller, HttpCode, HttpStatus, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { AuthUser, CurrentUser, Public } from '@app/auth';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { RequestId } from '../common/logging/request-id.decorator';
import { SinchCallbackEventDto } from '../providers/sinch/dto/sinch-callback.dto';
import { SvamlResponseDto } from '../providers/sinch/dto/svaml.dto';
import { DOCUMENTED_PROVIDER_NAMES } from '../calls/schemas/call.schema';
import { CallLockTimeoutFilter } from './call-lock-timeout.filter';
import { SdkTokenResponseDto } from './dto/sdk-token-response.dto';
import { ProviderCallbacksService } from './provider-callbacks.service';
import { SdkTokensService } from './sdk-tokens.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/** What the telephony provider and its SDK talk to. */
@ApiTags('calls')
@Controller('calls')
export class TelephonyController {
  constructor(
    private readonly callbacks: ProviderCallbacksService,
    private readonly sdkTokens: SdkTokensService,
  ) {}

  @Post('webhooks/:provider')
  // Provider callbacks come from a few provider addresses and are proven by their signature: a per-IP
  // budget would drop real events in a busy hour.
  @SkipThrottle()
  @UseGuards(WebhookSignatureGuard)
  @UseFilters(CallLockTimeoutFilter)
  @HttpCode(HttpStatus.OK)
  @ApiParam({ name: 'provider', description: 'Who sends the callback.', enum: DOCUMENTED_PROVIDER_NAMES })
  @ApiOperation({
    summary: 'Receive a provider callback (Sinch Voice: ICE, ACE, DiCE, notify)',
    description:
      'Point the Sinch application\'s callback URL here. No bearer token: every request must carry a valid Sinch signature ' +
      '(`Authorization: Application <key>:<signature>` and an `x-timestamp` within 5 minutes), else 401 and nothing changes. ' +
      'An ICE is connected to the recorded number with the organization\'s caller ID only when its `x-call-id` and `x-call-token` ' +
      'call headers name a recorded call that has not ended and its `user` (the Sinch user placing the call) is that call\'s user; ' +
      'the ICE then binds its `callid` to the call. Any other ICE is hung up. Other events reach a call only through the `callid` ' +
      'an ICE (or the dialer\'s report) bound to it. Events are stored once: a repeat answers 200 and changes nothing, and an ' +
      'event for a call not known yet is applied when the call learns its `providerCallId`.',
  })
  // Below ApiOperation, so that its `security: []` is merged into the operation rather than dropped.
  @Public()
  @ApiBody({ type: SinchCallbackEventDto })
  @ApiOkResponse({ description: 'The event was accepted (or ignored); the body tells Sinch what to do next.', type: SvamlResponseDto })
  @ApiResponse({ status: 401, description: 'The provider\'s signature is missing or wrong, or x-timestamp is more than 5 minutes off.', type: ErrorResponseDto })
  @ApiResponse({ status: 404, description: 'No such provider.', type: ErrorResponseDto })
  @ApiResponse({
    status: 503,
    description:
      'The database cannot be reached, or other requests kept the call busy until the wait ran out; `Retry-After` then says ' +
      'when to retry. Sinch retries a callback answered 503.',
    type: ErrorResponseDto,
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again, when the call was busy.', schema: { type: 'integer' } } },
  })
  @ApiErrorResponses(400, 413, 415)
  handleProviderCallback(@Param('provider') provider: string, @Body() body: unknown, @RequestId() requestId: string): Promise<object> {
    return this.callbacks.handle(provider, body, requestId);
  }

  @Post('sdk/token')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Get a registration token for the Sinch in-app calling SDK',
    description: 'Answer the SDK\'s `onCredentialsRequired` with it. The token lasts 10 minutes; the SDK asks again when it needs to.',
  })
  @ApiOkResponse({ description: 'A fresh token.', type: SdkTokenResponseDto })
  @ApiErrorResponses(401, 429)
  issueSdkToken(@CurrentUser() user: AuthUser): SdkTokenResponseDto {
    return this.sdkTokens.issue(user);
  }
}
