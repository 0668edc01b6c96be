import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequireRole } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ParseObjectIdPipe } from '../common/object-id';
import { RequestId } from '../common/logging/request-id.decorator';
import { CreatePhoneNumberDto } from './dto/create-phone-number.dto';
import { ListPhoneNumbersQueryDto, PHONE_NUMBERS_PAGE_SIZE } from './dto/list-phone-numbers-query.dto';
import { PhoneNumberListResponseDto, PhoneNumberResponseDto } from './dto/phone-number.dto';
import { UpdatePhoneNumberDto } from './dto/update-phone-number.dto';
import { PhoneNumbersService } from './phone-numbers.service';

const ADMIN = 'admin';
const PhoneNumberIdParam = () => ApiParam({ name: 'id', description: 'The phone number\'s id.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } });

@ApiTags('phone-numbers')
@ApiOperatingErrorResponses()
@Controller('phone-numbers')
export class PhoneNumbersController {
  constructor(private readonly phoneNumbersService: PhoneNumbersService) {}

  @Post()
  @RequireRole(ADMIN)
  @ApiOperation({ summary: 'Add a caller ID number (admins only)' })
  @ApiCreatedResponse({ description: 'The number was added.', type: PhoneNumberResponseDto })
  @ApiErrorResponses(400, 401, 403, 409, 413, 415)
  async createPhoneNumber(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreatePhoneNumberDto,
    @RequestId() requestId: string,
  ): Promise<PhoneNumberResponseDto> {
    return { success: true, phoneNumber: await this.phoneNumbersService.create(user.organizationId, dto, requestId) };
  }

  @Get()
  @ApiOperation({
    summary: 'List the organization\'s caller ID numbers',
    description:
      `In E.164 order, ${PHONE_NUMBERS_PAGE_SIZE} to a page unless \`limit\` says otherwise. To page, pass the previous page's ` +
      '`nextCursor` as `cursor`; a number added or renumbered meanwhile appears on the page its number sorts into.',
  })
  @ApiOkResponse({ description: 'A page of the organization\'s numbers.', type: PhoneNumberListResponseDto })
  @ApiErrorResponses(400, 401)
  async listPhoneNumbers(@CurrentUser() user: AuthUser, @Query() query: ListPhoneNumbersQueryDto): Promise<PhoneNumberListResponseDto> {
    return { success: true, ...(await this.phoneNumbersService.list(user.organizationId, query)) };
  }

  @Patch(':id')
  @RequireRole(ADMIN)
  @PhoneNumberIdParam()
  @ApiOperation({ summary: 'Change a caller ID number, its default mark or its users (admins only)' })
  @ApiOkResponse({ description: 'The updated number.', type: PhoneNumberResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 409, 413, 415)
  async updatePhoneNumber(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdatePhoneNumberDto,
    @RequestId() requestId: string,
  ): Promise<PhoneNumberResponseDto> {
    return { success: true, phoneNumber: await this.phoneNumbersService.update(user.organizationId, id, dto, requestId) };
  }

  @Delete(':id')
  @RequireRole(ADMIN)
  @HttpCode(HttpStatus.NO_CONTENT)
  @PhoneNumberIdParam()
  @ApiOperation({
    summary: 'Remove a caller ID number (admins only)',
    description: 'Its users fall back to the organization\'s default. Calls already placed keep their `from`.',
  })
  @ApiNoContentResponse({ description: 'The number was removed.' })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  deletePhoneNumber(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @RequestId() requestId: string): Promise<void> {
    return this.phoneNumbersService.remove(user.organizationId, id, requestId);
  }
}
