import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '@app/auth';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator';
import { HealthResponseDto } from './dto/health-response.dto';
import { HealthService } from './health.service';
import { LIVENESS } from './liveness';

/** Served outside the /api prefix (see configureApp), without a token, and never rate-limited. */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly healthService: HealthService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Is the process alive?',
    description:
      'Liveness: 200 while the process runs, whatever the state of the database, which it does not touch. ' +
      'Needs no token and is not rate-limited.',
  })
  @ApiOkResponse({ description: 'The process is up.', type: HealthResponseDto })
  liveness(): HealthResponseDto {
    // Answered by Fastify alone (answerLivenessFromFastify); this declares the route and its document.
    return LIVENESS;
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Can the service take requests?',
    description:
      'Readiness: pings the database. While it cannot be reached the answer is 503 in the one error shape, with the ' +
      'reason in `message`. Needs no token and is not rate-limited.',
  })
  @ApiOkResponse({ description: 'The database answers; the service can take requests.', type: HealthResponseDto })
  @ApiErrorResponses(503)
  readiness(): Promise<HealthResponseDto> {
    return this.healthService.readiness();
  }
}
