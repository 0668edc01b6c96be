import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { EventsModule } from '../events/events.module';
import {
  WEBHOOK_DELIVERY_LEASE,
  WEBHOOK_DISPATCH_LEASE,
  WEBHOOK_ENDPOINT_LOCK,
  WebhookCursor,
  WebhookCursorSchema,
  WebhookDelivery,
  WebhookDeliveryLeaseSchema,
  WebhookDeliverySchema,
  WebhookDispatchLeaseSchema,
  WebhookDue,
  WebhookDueSchema,
  WebhookEndpoint,
  WebhookEndpointLockSchema,
  WebhookEndpointSchema,
  WebhookEndpointState,
  WebhookEndpointStateSchema,
} from './schemas/webhook.schema';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpointCache } from './webhook-endpoint-cache';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookWorker } from './webhook-worker.service';

/** Signed webhooks: the admins' endpoints, the fan-out from the event feed, and the delivery workers. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: WebhookEndpoint.name, schema: WebhookEndpointSchema },
      { name: WebhookEndpointState.name, schema: WebhookEndpointStateSchema },
      { name: WebhookDelivery.name, schema: WebhookDeliverySchema },
      { name: WebhookDue.name, schema: WebhookDueSchema },
      { name: WebhookCursor.name, schema: WebhookCursorSchema },
      { name: WEBHOOK_DISPATCH_LEASE, schema: WebhookDispatchLeaseSchema },
      { name: WEBHOOK_DELIVERY_LEASE, schema: WebhookDeliveryLeaseSchema },
      { name: WEBHOOK_ENDPOINT_LOCK, schema: WebhookEndpointLockSchema },
    ]),
    EventsModule,
  ],
  controllers: [WebhookEndpointsController],
  providers: [WebhookEndpointsService, WebhookDispatcher, WebhookWorker, WebhookEndpointCache],
})
export class WebhooksModule {}
