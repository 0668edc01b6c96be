import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpStatus, Injectable, Param, Patch, PipeTransform, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthUser, CurrentUser, RequireRole } from '@app/auth';
import { ApiErrorResponses, ApiOperatingErrorResponses } from '../common/errors/api-error-responses.decorator';
import { ParseObjectIdPipe } from '../common/object-id';
import { RequestId } from '../common/logging/request-id.decorator';
import { ListWebhookDeliveriesQueryDto, WEBHOOK_EVENT_ID, WebhookDeliveryListResponseDto, WebhookDeliveryResponseDto } from './dto/webhook-delivery.dto';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto/webhook-endpoint-request.dto';
import { WebhookEndpointListResponseDto, WebhookEndpointResponseDto, WebhookEndpointWithSecretResponseDto } from './dto/webhook-endpoint.dto';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const ADMIN = 'admin';
const DELIVERY_ID = new RegExp(`^[0-9a-fA-F]{24}:${WEBHOOK_EVENT_ID.source.slice(1)}`);
const EndpointIdParam = () => ApiParam({ name: 'id', description: 'The endpoint\'s id.', schema: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } });
const DeliveryIdParam = () => ApiParam({ name: 'deliveryId', description: 'The delivery\'s id, as its `_id` says.', schema: { type: 'string', pattern: DELIVERY_ID.source } });

/** Refuses a delivery id this service would not have made before it reaches a query. */
@Injectable()
class ParseDeliveryIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !DELIVERY_ID.test(value)) throw new BadRequestException('deliveryId is not a delivery id this service issued');
    return value.slice(0, 24).toLowerCase() + value.slice(24);
  }
}

@ApiTags('webhooks')
@RequireRole(ADMIN)
@ApiOperatingErrorResponses()
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly webhookEndpointsService: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook endpoint (admins only)',
    description:
      'Every later call event of a matching type is POSTed to the URL, signed (Standard Webhooks), and retried until it answers ' +
      '2xx or the retry schedule runs out. The answer holds the signing secret, which is never shown again.',
  })
  @ApiCreatedResponse({ description: 'The endpoint, with its secret.', type: WebhookEndpointWithSecretResponseDto })
  @ApiErrorResponses(400, 401, 403, 409, 413, 415)
  async createWebhookEndpoint(
    @CurrentUser() user: AuthUser,
    @Body() dto: CreateWebhookEndpointDto,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpointWithSecretResponseDto> {
    return { success: true, endpoint: await this.webhookEndpointsService.create(user.organizationId, dto, requestId) };
  }

  @Get()
  @ApiOperation({ summary: 'List the organization\'s webhook endpoints (admins only)' })
  @ApiOkResponse({ description: 'Every endpoint of the organization, without secrets.', type: WebhookEndpointListResponseDto })
  @ApiErrorResponses(401, 403)
  async listWebhookEndpoints(@CurrentUser() user: AuthUser): Promise<WebhookEndpointListResponseDto> {
    return { success: true, endpoints: await this.webhookEndpointsService.list(user.organizationId) };
  }

  @Get(':id')
  @EndpointIdParam()
  @ApiOperation({ summary: 'Get a webhook endpoint (admins only)' })
  @ApiOkResponse({ description: 'The endpoint, without its secret.', type: WebhookEndpointResponseDto })
  @ApiErrorResponses(400, 401, 403, 404)
  async getWebhookEndpoint(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<WebhookEndpointResponseDto> {
    return { success: true, endpoint: await this.webhookEndpointsService.findOne(user.organizationId, id) };
  }

  @Patch(':id')
  @EndpointIdParam()
  @ApiOperation({ summary: 'Change a webhook endpoint, or disable or enable it (admins only)' })
  @ApiOkResponse({ description: 'The updated endpoint.', type: WebhookEndpointResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 409, 413, 415)
  async updateWebhookEndpoint(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateWebhookEndpointDto,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpointResponseDto> {
    return { success: true, endpoint: await this.webhookEndpointsService.update(user.organizationId, id, dto, requestId) };
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @EndpointIdParam()
  @ApiOperation({ summary: 'Remove a webhook endpoint and its deliveries (admins only)' })
  @ApiNoContentResponse({ description: 'The endpoint was removed.' })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  deleteWebhookEndpoint(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @RequestId() requestId: string): Promise<void> {
    return this.webhookEndpointsService.remove(user.organizationId, id, requestId);
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @EndpointIdParam()
  @ApiOperation({
    summary: 'Give a webhook endpoint a new signing secret (admins only)',
    description: 'For 24 hours deliveries are signed with both the new and the replaced secret, so receivers can switch without losing any.',
  })
  @ApiOkResponse({ description: 'The endpoint, with its new secret.', type: WebhookEndpointWithSecretResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  async rotateWebhookSecret(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpointWithSecretResponseDto> {
    return { success: true, endpoint: await this.webhookEndpointsService.rotateSecret(user.organizationId, id, requestId) };
  }

  @Get(':id/deliveries')
  @EndpointIdParam()
  @ApiOperation({
    summary: 'List a webhook endpoint\'s deliveries, newest event first (admins only)',
    description: `Kept \`WEBHOOK_LOG_RETENTION_DAYS\`. To page, pass the previous page's \`nextCursor\` as \`cursor\`.`,
  })
  @ApiOkResponse({ description: 'A page of deliveries, each with its attempts.', type: WebhookDeliveryListResponseDto })
  @ApiErrorResponses(400, 401, 403, 404)
  async listWebhookDeliveries(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Query() query: ListWebhookDeliveriesQueryDto,
  ): Promise<WebhookDeliveryListResponseDto> {
    return { success: true, ...(await this.webhookEndpointsService.listDeliveries(user.organizationId, id, query)) };
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @EndpointIdParam()
  @DeliveryIdParam()
  @ApiOperation({ summary: 'Send a failed delivery again now (admins only)', description: 'The retry schedule starts over.' })
  @ApiAcceptedResponse({ description: 'The delivery, pending again.', type: WebhookDeliveryResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, { status: 409, description: 'The delivery has not failed, is being sent, or the endpoint is disabled.' })
  async retryWebhookDelivery(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Param('deliveryId', ParseDeliveryIdPipe) deliveryId: string,
  ): Promise<WebhookDeliveryResponseDto> {
    return { success: true, delivery: await this.webhookEndpointsService.retryDelivery(user.organizationId, id, deliveryId) };
  }

  @Post(':id/test')
  @HttpCode(HttpStatus.ACCEPTED)
  @EndpointIdParam()
  @ApiOperation({
    summary: 'Send a webhook.test event to a webhook endpoint (admins only)',
    description: 'Queued and sent like any event, signed and retried; follow it in the endpoint\'s deliveries.',
  })
  @ApiAcceptedResponse({ description: 'The test delivery, pending.', type: WebhookDeliveryResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, { status: 409, description: 'The endpoint is disabled.' })
  async testWebhookEndpoint(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<WebhookDeliveryResponseDto> {
    return { success: true, delivery: await this.webhookEndpointsService.sendTest(user.organizationId, id) };
  }
}
