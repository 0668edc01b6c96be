import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ParseObjectIdPipe } from '../common/object-id';
import { ContactsService } from './contacts.service';
import { ContactListResponseDto, ContactResponseDto } from './dto/contact.dto';
import { CreateContactDto } from './dto/create-contact.dto';
import { ListContactsQueryDto } from './dto/list-contacts-query.dto';
import { UpdateContactDto } from './dto/update-contact.dto';

const ContactIdParam = () => ApiParam({ name: 'id', description: 'The contact\'s id.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } });

@ApiTags('contacts')
@ApiOperatingErrorResponses()
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contactsService: ContactsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a contact' })
  @ApiCreatedResponse({ description: 'The contact was created.', type: ContactResponseDto })
  @ApiErrorResponses(400, 401, 413, 415)
  async createContact(@CurrentUser() user: AuthUser, @Body() dto: CreateContactDto): Promise<ContactResponseDto> {
    return { success: true, contact: await this.contactsService.create(user.organizationId, dto) };
  }

  @Get()
  @ApiOperation({ summary: 'List and search contacts, newest first' })
  @ApiOkResponse({ description: 'One page of contacts.', type: ContactListResponseDto })
  @ApiErrorResponses(400, 401)
  async listContacts(@CurrentUser() user: AuthUser, @Query() query: ListContactsQueryDto): Promise<ContactListResponseDto> {
    return { success: true, ...(await this.contactsService.list(user.organizationId, query)) };
  }

  @Get(':id')
  @ContactIdParam()
  @ApiOperation({ summary: 'Get a contact' })
  @ApiOkResponse({ description: 'The contact.', type: ContactResponseDto })
  @ApiErrorResponses(400, 401, 404)
  async getContact(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<ContactResponseDto> {
    return { success: true, contact: await this.contactsService.findOne(user.organizationId, id) };
  }

  @Patch(':id')
  @ContactIdParam()
  @ApiOperation({ summary: 'Update a contact' })
  @ApiOkResponse({ description: 'The updated contact.', type: ContactResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 415)
  async updateContact(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateContactDto,
  ): Promise<ContactResponseDto> {
    return { success: true, contact: await this.contactsService.update(user.organizationId, id, dto) };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ContactIdParam()
  @ApiOperation({ summary: 'Delete a contact', description: 'Calls already linked to the contact keep their `contactId`.' })
  @ApiNoContentResponse({ description: 'The contact was deleted.' })
  // DELETE takes no body, but Fastify reads one if it is sent, and refuses it like any other.
  @ApiErrorResponses(400, 401, 404, 413, 415)
  deleteContact(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    return this.contactsService.remove(user.organizationId, id);
  }
}
