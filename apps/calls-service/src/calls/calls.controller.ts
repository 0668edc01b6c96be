import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { CallsService } from './calls.service';
import { InitiateCallResponseDto } from './dto/initiate-call-response.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';

@ApiTags('calls')
@ApiOperatingErrorResponses()
@Controller('calls')
export class CallsController {
  constructor(private readonly callsService: CallsService) {}

  @Post('sdk/initiate')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Record an outbound SDK call (browser to phone)',
    description:
      'Records a call the web dialer is about to place with the Sinch Voice SDK. Give `contactId`, `phoneNumber`, or both. ' +
      'With `phoneNumber` alone the call is linked to the organization\'s contact with that number, if there is one.',
  })
  @ApiCreatedResponse({ description: 'The call was recorded.', type: InitiateCallResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 415, 422)
  async initiateSdkCall(@CurrentUser() user: AuthUser, @Body() dto: InitiateCallDto): Promise<InitiateCallResponseDto> {
    return { success: true, call: await this.callsService.initiateSdkCall(user, dto), message: 'Call recorded' };
  }
}
