import { WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { WebhookEndpointDto } from './dto/webhook-endpoint.dto';
import { WebhookDelivery, WebhookEndpoint, WebhookEndpointState } from './schemas/webhook.schema';

export function toWebhookEndpointDto(endpoint: WebhookEndpoint, state: WebhookEndpointState | null): WebhookEndpointDto {
  const disabledByService = Boolean(state?.disabledAt);
  return {
    _id: endpoint._id.toHexString(),
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description ?? null,
    enabled: endpoint.enabled && !disabledByService,
    disabledReason: disabledByService ? (state?.disabledReason ?? null) : null,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export function toWebhookDeliveryDto(delivery: WebhookDelivery): WebhookDeliveryDto {
  return {
    _id: delivery._id,
    endpointId: delivery.endpointId.toHexString(),
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts.map((attempt) => ({
      at: attempt.at.toISOString(),
      statusCode: attempt.statusCode ?? null,
      error: attempt.error ?? null,
      durationMs: attempt.durationMs,
    })),
    nextAttemptAt: delivery.nextAttemptAt ? delivery.nextAttemptAt.toISOString() : null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}
