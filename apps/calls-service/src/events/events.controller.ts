import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { EventListResponseDto } from './dto/event.dto';
import { ListEventsQueryDto } from './dto/list-events-query.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiOperatingErrorResponses()
@Controller('events')
export class EventsController {
  constructor(private readonly eventsService: EventsService) {}

  @Get()
  @ApiOperation({
    summary: 'The organization\'s call events, oldest first',
    description:
      'Every change to a call of the organization, oldest first, in one order that never changes: an event\'s `id` sorts in feed ' +
      'order. To page, pass the previous page\'s `nextCursor` as `after`; paging never skips or repeats an event, even while ' +
      'calls change. Events are kept at least `EVENT_RETENTION_DAYS`.',
  })
  @ApiOkResponse({ description: 'One page of events.', type: EventListResponseDto })
  @ApiErrorResponses(400, 401, { status: 404, description: '`after` is not an event of the caller\'s organization.' }, {
    status: 410,
    description: '`after` names an event older than the events kept (`EVENT_RETENTION_DAYS`): start again without `after`.',
  })
  async listEvents(@CurrentUser() user: AuthUser, @Query() query: ListEventsQueryDto): Promise<EventListResponseDto> {
    return { success: true, ...(await this.eventsService.list(user.organizationId, query)) };
  }
}
