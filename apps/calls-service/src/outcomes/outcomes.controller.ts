import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequireRole } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ParseObjectIdPipe } from '../common/object-id';
import { RequestId } from '../common/logging/request-id.decorator';
import { CreateOutcomeDto } from './dto/create-outcome.dto';
import { ListOutcomesQueryDto, OUTCOMES_PAGE_SIZE } from './dto/list-outcomes-query.dto';
import { OutcomeListResponseDto, OutcomeResponseDto } from './dto/outcome.dto';
import { UpdateOutcomeDto } from './dto/update-outcome.dto';
import { OutcomesService } from './outcomes.service';

const ADMIN = 'admin';
const OutcomeIdParam = () => ApiParam({ name: 'id', description: 'The outcome\'s id.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } });
const NAME_TAKEN = { status: 409, description: 'The organization already has an outcome of that name (ignoring case), or other writes kept the outcome busy.' };

@ApiTags('call-outcomes')
@ApiOperatingErrorResponses()
@Controller('call-outcomes')
export class OutcomesController {
  constructor(private readonly outcomesService: OutcomesService) {}

  @Post()
  @RequireRole(ADMIN)
  @ApiOperation({ summary: 'Define a call outcome (admins only)' })
  @ApiCreatedResponse({ description: 'The outcome was defined.', type: OutcomeResponseDto })
  @ApiErrorResponses(400, 401, 403, NAME_TAKEN, 413, 415)
  async createOutcome(@CurrentUser() user: AuthUser, @Body() dto: CreateOutcomeDto): Promise<OutcomeResponseDto> {
    return { success: true, outcome: await this.outcomesService.create(user.organizationId, dto) };
  }

  @Get()
  @ApiOperation({
    summary: 'List the organization\'s call outcomes',
    description: `Oldest first, archived ones included, ${OUTCOMES_PAGE_SIZE} to a page unless \`limit\` says otherwise.`,
  })
  @ApiOkResponse({ description: 'A page of the organization\'s outcomes.', type: OutcomeListResponseDto })
  @ApiErrorResponses(400, 401)
  async listOutcomes(@CurrentUser() user: AuthUser, @Query() query: ListOutcomesQueryDto): Promise<OutcomeListResponseDto> {
    return { success: true, ...(await this.outcomesService.list(user.organizationId, query)) };
  }

  @Get(':id')
  @OutcomeIdParam()
  @ApiOperation({ summary: 'Get a call outcome' })
  @ApiOkResponse({ description: 'The outcome.', type: OutcomeResponseDto })
  @ApiErrorResponses(400, 401, 404)
  async getOutcome(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<OutcomeResponseDto> {
    return { success: true, outcome: await this.outcomesService.findOne(user.organizationId, id) };
  }

  @Patch(':id')
  @RequireRole(ADMIN)
  @OutcomeIdParam()
  @ApiOperation({
    summary: 'Rename, describe, or archive a call outcome (admins only)',
    description: 'An archived outcome stays on the calls that have it, and in the statistics, but no call can be given it until it is unarchived.',
  })
  @ApiOkResponse({ description: 'The updated outcome.', type: OutcomeResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, NAME_TAKEN, 413, 415)
  async updateOutcome(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateOutcomeDto,
    @RequestId() requestId: string,
  ): Promise<OutcomeResponseDto> {
    return { success: true, outcome: await this.outcomesService.update(user.organizationId, id, dto, requestId) };
  }

  @Delete(':id')
  @RequireRole(ADMIN)
  @HttpCode(HttpStatus.NO_CONTENT)
  @OutcomeIdParam()
  @ApiOperation({ summary: 'Delete a call outcome no call has (admins only)', description: 'An outcome that calls have cannot be deleted: archive it instead.' })
  @ApiNoContentResponse({ description: 'The outcome was deleted.' })
  @ApiErrorResponses(400, 401, 403, 404, { status: 409, description: 'Calls have the outcome, or other writes kept it busy.' })
  deleteOutcome(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @RequestId() requestId: string): Promise<void> {
    return this.outcomesService.remove(user.organizationId, id, requestId);
  }
}
