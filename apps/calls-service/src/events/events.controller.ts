import { Controller, Get, Headers, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticatedByRoute, AuthUser, BEARER_SCHEME, CurrentUser } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { EventListResponseDto } from './dto/event.dto';
import { ListEventsQueryDto } from './dto/list-events-query.dto';
import { StreamEventsQueryDto } from './dto/stream-events-query.dto';
import { StreamTicketResponseDto } from './dto/stream-ticket.dto';
import { EVENT_ID } from './event.schema';
import { EventStreams } from './event-streams.service';
import { EventsService } from './events.service';
import { StreamAuthGuard, StreamCaller } from './stream-auth.guard';
import { STREAM_TICKET_SCHEME } from './stream-ticket.scheme';
import { StreamTickets, TicketHolder } from './stream-tickets.service';

@ApiTags('events')
@ApiOperatingErrorResponses()
@Controller('events')
export class EventsController {
  constructor(
    private readonly eventsService: EventsService,
    private readonly streams: EventStreams,
    private readonly tickets: StreamTickets,
  ) {}

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

  @Get('stream')
  @AuthenticatedByRoute()
  @UseGuards(StreamAuthGuard)
  @ApiSecurity(STREAM_TICKET_SCHEME)
  @ApiSecurity(BEARER_SCHEME)
  @ApiOperation({
    summary: 'The organization\'s call events, live, as Server-Sent Events',
    description:
      'Each event as it is stored, on any replica, within a second: `id: <event id>`, `event: <type>`, `data: <the Event as JSON>`, ' +
      'in feed order. Without `Last-Event-ID` or `after` it starts with the next event stored; with either, it first sends the ' +
      'events after that one, then goes live, with no gap and no duplicate. A comment line comes every `SSE_HEARTBEAT_MS` when ' +
      'nothing else was sent. The stream ends when the bearer token (or the token that asked for the ticket) expires, when the ' +
      'service shuts down, and when the client reads too slowly; reconnect with `Last-Event-ID`, as `EventSource` does by itself. ' +
      'Authenticate with the bearer header, or, from a browser, with `?ticket=` from `POST /api/events/stream-tickets`.',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event (what `EventSource` sends when it reconnects). Takes precedence over `after`.',
    schema: { type: 'string', pattern: EVENT_ID.source },
  })
  @ApiOkResponse({
    description: 'The stream: `text/event-stream`, open until the token expires or the service ends it.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 64f0a1b2c3d4e5f6a7b8c000:000000000002\nevent: call.ringing\ndata: {"id":"64f0a1b2c3d4e5f6a7b8c000:000000000002",…}' } } },
  })
  @ApiErrorResponses(
    400,
    { status: 401, description: 'The bearer token or the ticket is missing, invalid, expired or already used.' },
    { status: 404, description: '`after` (or `Last-Event-ID`) is not an event of the caller\'s organization.' },
    { status: 410, description: '`after` (or `Last-Event-ID`) names an event older than the events kept: start again without it.' },
  )
  streamEvents(
    @StreamCaller() caller: TicketHolder,
    @Query() query: StreamEventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.streams.open(caller, query, lastEventId, reply);
  }

  @Post('stream-tickets')
  @ApiOperation({
    summary: 'A single-use ticket to open the event stream from a browser',
    description:
      'A browser\'s `EventSource` cannot send an Authorization header, and a bearer token must never be put in a URL. Ask for a ' +
      'ticket with the bearer token, then open `GET /api/events/stream?ticket=…`. The ticket is valid for 60 s, opens one stream ' +
      'once, is bound to the caller\'s user and organization, and that stream ends when the token that asked for it expires.',
  })
  @ApiCreatedResponse({ description: 'The ticket.', type: StreamTicketResponseDto })
  @ApiErrorResponses(401)
  async issueStreamTicket(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest): Promise<StreamTicketResponseDto> {
    const { ticket, expiresAt } = await this.tickets.issueFor(user, request.headers.authorization);
    return { success: true, ticket, expiresAt: expiresAt.toISOString() };
  }
}
