import { Body, Controller, Get, Headers, HttpCode, HttpException, HttpStatus, Param, Patch, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { AuthUser, CurrentUser } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ParseObjectIdPipe } from '../common/object-id';
import { RequestId } from '../common/logging/request-id.decorator';
import { IdempotencyKeyHeader, IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from '../idempotency/idempotency-key';
import { CallExportService } from './call-export.service';
import { CallStatsService } from './call-stats.service';
import { ExportCallsQueryDto } from './dto/export-calls-query.dto';
import { CallsService } from './calls.service';
import { CallStatsQueryDto } from './dto/call-stats-query.dto';
import { CallStatsResponseDto } from './dto/call-stats.dto';
import { etagOf } from './call.mapper';
import { CallConflictResponseDto, CallDto, CallListResponseDto, CallPreconditionFailedResponseDto, CallResponseDto } from './dto/call.dto';
import { InitiateCallResponseDto } from './dto/initiate-call-response.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { ListCallsQueryDto } from './dto/list-calls-query.dto';
import { UpdateCallDto } from './dto/update-call.dto';

const ETAG_HEADER = {
  ETag: {
    description: 'The call\'s version (its `version`, in quotes): send it back as `If-Match` with a PATCH.',
    schema: { type: 'string', pattern: '^"[0-9]+"$' },
  },
};

/** Every answer that carries one call carries its version as the ETag. */
function withEtag(reply: FastifyReply, call: CallDto): CallDto {
  void reply.header('ETag', etagOf(call.version));
  return call;
}

/** A refusal that carries the call as it stands (409, 412) carries its ETag too, so the client can try again on it. */
function refusedWithEtag(reply: FastifyReply, error: unknown): never {
  const body = error instanceof HttpException ? error.getResponse() : undefined;
  const call = typeof body === 'object' && body !== null && 'call' in body ? (body as { call: CallDto }).call : undefined;
  if (call) void reply.header('ETag', etagOf(call.version));
  throw error;
}

const CallIdParam = () => ApiParam({ name: 'id', description: 'The call\'s id.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } });

@ApiTags('calls')
@ApiOperatingErrorResponses()
@Controller('calls')
export class CallsController {
  constructor(
    private readonly callsService: CallsService,
    private readonly statsService: CallStatsService,
    private readonly exportService: CallExportService,
  ) {}

  @Post('sdk/initiate')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Record an outbound SDK call (browser to phone)',
    description:
      'Records a call the web dialer is about to place with the Sinch Voice SDK. Give `contactId`, `phoneNumber`, or both. ' +
      'With `phoneNumber` alone the call is linked to the organization\'s contact with that number, if there is one. ' +
      `Send an \`${IDEMPOTENCY_KEY_HEADER}\` to make the request safe to retry.`,
  })
  @ApiCreatedResponse({
    description: `The call was recorded; or, for a repeated \`${IDEMPOTENCY_KEY_HEADER}\`, the call the first request recorded, as it is now.`,
    type: InitiateCallResponseDto,
    headers: {
      ...ETAG_HEADER,
      [IDEMPOTENT_REPLAYED_HEADER]: {
        description: `\`true\` when the answer replays an earlier request with the same \`${IDEMPOTENCY_KEY_HEADER}\`; absent otherwise.`,
        schema: { type: 'string', enum: ['true'] },
      },
    },
  })
  @ApiErrorResponses(
    400,
    401,
    404,
    413,
    415,
    {
      status: 422,
      description:
        'The request cannot be carried out: the contact has no phone number, the number to dial is in no ' +
        'country\'s numbering plan or of a type the service does not call (`BLOCKED_NUMBER_TYPES`), no caller ID ' +
        `is configured, or the \`${IDEMPOTENCY_KEY_HEADER}\` was used with a different body.`,
    },
  )
  async initiateSdkCall(
    @CurrentUser() user: AuthUser,
    @IdempotencyKeyHeader() idempotency: IdempotentRequest | null,
    @Body() dto: InitiateCallDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InitiateCallResponseDto> {
    return { success: true, call: withEtag(reply, await this.callsService.initiateSdkCall(user, dto, idempotency, reply.request.id)), message: 'Call recorded' };
  }

  @Get()
  @ApiOperation({
    summary: 'List the organization\'s calls, newest first',
    description:
      'Newest first, by `startTime` and then `_id`. Filters combine: a call must match all of them. ' +
      'To page, pass the previous page\'s `nextCursor` as `cursor` with the same filters; calls recorded ' +
      'meanwhile appear on a fresh first page, so paging never repeats or skips a call.',
  })
  @ApiOkResponse({ description: 'One page of calls.', type: CallListResponseDto })
  @ApiErrorResponses(400, 401, { status: 422, description: '`q` matches the names of too many contacts: make it longer.' })
  async listCalls(@CurrentUser() user: AuthUser, @Query() query: ListCallsQueryDto): Promise<CallListResponseDto> {
    return { success: true, ...(await this.callsService.list(user.organizationId, query)) };
  }

  // Before ':id', which would otherwise take `stats` for a call id.
  @Get('stats')
  @ApiOperation({
    summary: 'Count the organization\'s calls, grouped by user, day, outcome or status',
    description:
      'Over the calls that started in [`since`, `until`) and match the list\'s other filters, for each group: how many calls, ' +
      'how many were answered and the rate, the talk time and its mean over answered calls, the mean ring time, and how ' +
      'many have a positive outcome. Computed by the database (see docs/wrap-up.md for what that costs).',
  })
  @ApiOkResponse({ description: 'The groups that have calls.', type: CallStatsResponseDto })
  @ApiErrorResponses(400, 401, { status: 422, description: '`q` matches the names of too many contacts: make it longer.' })
  async callStats(@CurrentUser() user: AuthUser, @Query() query: CallStatsQueryDto): Promise<CallStatsResponseDto> {
    return this.statsService.stats(user.organizationId, query);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Export the organization\'s calls as CSV or NDJSON',
    description:
      'Every call matching the list\'s filters, newest first, streamed as it is read from the database, as a file to save ' +
      '(`Content-Disposition`). CSV follows RFC 4180 with a header row; times are ISO 8601 in UTC; a cell that starts with ' +
      '`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `\'` so that spreadsheets show it as text (phone numbers ' +
      'included); tags are joined with `, `. NDJSON has one Call per line. Rate-limited like every route: an export counts ' +
      'as one request. A client that stops reading ends the export and its database query.',
  })
  @ApiOkResponse({
    description: 'The calls, streamed.',
    content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
    headers: {
      'Content-Disposition': {
        description: 'attachment, with a filename such as `calls-20261127T100000Z.csv`.',
        schema: { type: 'string', example: 'attachment; filename="calls-20261127T100000Z.csv"' },
      },
    },
  })
  @ApiErrorResponses(400, 401, { status: 422, description: '`q` matches the names of too many contacts: make it longer.' })
  exportCalls(@CurrentUser() user: AuthUser, @Query() query: ExportCallsQueryDto, @RequestId() requestId: string): Promise<StreamableFile> {
    return this.exportService.export(user.organizationId, query, requestId);
  }

  @Get(':id')
  @CallIdParam()
  @ApiOperation({ summary: 'Get a call' })
  @ApiOkResponse({ description: 'The call.', type: CallResponseDto, headers: ETAG_HEADER })
  @ApiErrorResponses(400, 401, 404)
  async getCall(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallResponseDto> {
    return { success: true, call: withEtag(reply, await this.callsService.findOne(user.organizationId, id)) };
  }

  @Patch(':id')
  @CallIdParam()
  @ApiOperation({
    summary: 'Report what the SDK saw of a call',
    description:
      'Reports what the SDK saw. The status only moves forward (`initiated`, `ringing`, `in-progress`, then one of `completed`, ' +
      '`busy`, `no-answer`, `canceled`, `failed`), may skip steps, and never changes once it is terminal; reporting the status ' +
      'the call already has changes nothing, so a retried report succeeds. The other fields are filled once: a value for a ' +
      'field that is already set is ignored, so late information fills a gap but never overwrites. When the call ends, ' +
      '`duration` is computed as `endTime - answerTime` in whole seconds, or 0 for a call that was never answered; an end ' +
      'reported without `endTime` ended now. A call that was answered ends `completed`, or `failed` keeping its talk time; ' +
      '`busy`, `no-answer` and `canceled` mean nobody answered, so they never carry an `answerTime`. A `providerCallId` is ' +
      'the provider\'s id for one call: another call of the organization holding it is 409. Which call a provider id belongs ' +
      'to is decided by the provider\'s signed ICE, never by a report, and no answer says whether another organization\'s call ' +
      'holds it: such a report is answered as if the id were free and stored on the call as reported, but the provider\'s ' +
      'events keep going to the call the ICE bound.\n\n' +
      'What the agent records after the call (`outcomeId`, `notes`, `tags`) is theirs to change at any status; each change ' +
      'is a `call.updated` event naming the fields it changed. Two agents, or a retried request, can avoid overwriting each ' +
      'other unseen by sending the `ETag` of the call they saw as `If-Match`: if the call changed since, nothing is written ' +
      'and the answer is 412 with the call as it is now. Without `If-Match` the last write wins.',
  })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'The `ETag` of the call as the client last saw it (`"4"`), several separated by commas, or `*`. The PATCH is applied only if ' +
      'the call still has that version; a weak tag (`W/"4"`), or a value that is no list of entity tags, never matches.',
    // No pattern: a value that is no list of entity tags is not refused but never matches (412), so the
    // client learns the call's version either way.
    schema: { type: 'string', example: '"4"' },
  })
  @ApiOkResponse({ description: 'The call as stored after the report.', type: CallResponseDto, headers: ETAG_HEADER })
  @ApiErrorResponses(
    400,
    401,
    404,
    {
      status: 409,
      description:
        'The report would move the call backwards, change how it ended or end an answered call as `busy`, `no-answer` or ' +
        '`canceled`, its `providerCallId` belongs to another call of the organization, or other reports kept the call busy ' +
        'until the wait ran out. The body carries the call as it is, and the `ETag` its version.',
      type: CallConflictResponseDto,
      headers: ETAG_HEADER,
    },
    {
      status: 412,
      description:
        'The call no longer has the version `If-Match` names: nothing was written. The body carries the call as it is now, and the ' +
        '`ETag` its version (send it as `If-Match` to apply the change to the call as it is).',
      type: CallPreconditionFailedResponseDto,
      headers: ETAG_HEADER,
    },
    413,
    415,
    {
      status: 422,
      description:
        'The `outcomeId` is not an outcome of the organization, or is archived (and not the call\'s already), or the report does not fit the call or the clock: a time before the call\'s `startTime` or more than 60 seconds ahead of ' +
        'the server\'s clock, an `answerTime` for a call that has not been answered or that ends `busy`, `no-answer` or ' +
        '`canceled`, an `endTime` or `endReason` for a call that goes on, or an `endTime` before the `answerTime`.',
    },
  )
  async updateCall(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateCallDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CallResponseDto> {
    const updated = await this.callsService
      .update(user.organizationId, id, dto, ifMatch, reply.request.id)
      .catch((error: unknown) => refusedWithEtag(reply, error));
    return { success: true, call: withEtag(reply, updated) };
  }
}
