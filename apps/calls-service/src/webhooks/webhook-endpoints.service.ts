import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, Types } from 'mongoose';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases, LeaseTimeout } from '../database/lease';
import { WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { ListWebhookDeliveriesQueryDto } from './dto/webhook-delivery.dto';
import { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './dto/webhook-endpoint-request.dto';
import { WebhookEndpointDto, WebhookEndpointWithSecretDto } from './dto/webhook-endpoint.dto';
import {
  EndpointSecret,
  WEBHOOK_ENDPOINT_LOCK,
  WebhookDelivery,
  WebhookDue,
  WebhookEndpoint,
  WebhookEndpointState,
} from './schemas/webhook.schema';
import { webhookSettings, WebhookSettings } from './webhook-config';
import { toWebhookDeliveryDto, toWebhookEndpointDto } from './webhook.mapper';
import { newWebhookSecret } from './webhook-signature';
import { checkWebhookUrl, WebhookUrlRefused } from './webhook-url';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpointCache } from './webhook-endpoint-cache';
import { WebhookWorker } from './webhook-worker.service';

/** Endpoints per organization: each event is sent to every one, so the fan-out stays bounded. */
export const MAX_ENDPOINTS = 20;
/** How long the secret a rotation replaced keeps signing, beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;
/** As for phone numbers: longer than any write takes, never renewed; a waiter outlasts one lease. */
const LOCK_LEASE_MS = 10_000;
const LOCK_WAIT_MS = LOCK_LEASE_MS + 1_000;

/**
 * The organization's webhook endpoints, written by its admins one request at a time (the organization's lock:
 * the endpoint count and each endpoint's read-modify-write of its secrets must not interleave, and FerretDB's
 * updates are blind writes). The delivery workers never write an endpoint, only its state.
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly logger = new Logger(WebhookEndpointsService.name);
  private readonly locks: Leases<Types.ObjectId>;
  private readonly settings: WebhookSettings;

  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    @InjectModel(WebhookEndpointState.name) private readonly states: Model<WebhookEndpointState>,
    @InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>,
    @InjectModel(WebhookDue.name) private readonly due: Model<WebhookDue>,
    @InjectModel(WEBHOOK_ENDPOINT_LOCK) lockModel: Model<LeaseRecord<Types.ObjectId>>,
    private readonly worker: WebhookWorker,
    private readonly dispatcher: WebhookDispatcher,
    private readonly endpointCache: WebhookEndpointCache,
    config: ConfigService<Environment, true>,
  ) {
    this.locks = new Leases(lockModel, LOCK_LEASE_MS);
    this.settings = webhookSettings(config);
  }

  async create(organizationId: string, dto: CreateWebhookEndpointDto, requestId?: string): Promise<WebhookEndpointWithSecretDto> {
    const url = await this.checkedUrl(dto.url);
    const organization = new Types.ObjectId(organizationId);
    const secret = newWebhookSecret();
    const created = await this.locked(organization, async () => {
      const count = await this.endpoints.countDocuments({ organizationId: organization });
      if (count >= MAX_ENDPOINTS) throw new ConflictException(`An organization may have at most ${MAX_ENDPOINTS} webhook endpoints`);
      // The organization's first endpoint starts the fan-out at the feed's end, before any event it should get.
      await this.dispatcher.cursorOf(organizationId);
      const now = new Date();
      const endpoint = await this.endpoints.create({
        organizationId: organization,
        url,
        events: dto.events ?? [],
        description: dto.description ?? null,
        enabled: true,
        secrets: [{ secret, expiresAt: null }],
        createdAt: now,
        updatedAt: now,
      });
      return endpoint.toObject<WebhookEndpoint>();
    }, requestId);
    // This replica's fan-out sees it at once; the others within ENDPOINT_CACHE_MS.
    this.endpointCache.forget(organization, created._id);
    return { ...toWebhookEndpointDto(created, null), secret };
  }

  async list(organizationId: string): Promise<WebhookEndpointDto[]> {
    const organization = new Types.ObjectId(organizationId);
    const endpoints = await this.endpoints.find({ organizationId: organization }).sort({ _id: 1 }).limit(MAX_ENDPOINTS).lean<WebhookEndpoint[]>();
    const states = await Promise.all(endpoints.map((endpoint) => this.stateOf(organization, endpoint._id)));
    return endpoints.map((endpoint, index) => toWebhookEndpointDto(endpoint, states[index]));
  }

  async findOne(organizationId: string, id: string): Promise<WebhookEndpointDto> {
    const endpoint = await this.endpointOf(organizationId, id);
    return toWebhookEndpointDto(endpoint, await this.stateOf(endpoint.organizationId, endpoint._id));
  }

  async update(organizationId: string, id: string, dto: UpdateWebhookEndpointDto, requestId?: string): Promise<WebhookEndpointDto> {
    const url = dto.url === undefined ? undefined : await this.checkedUrl(dto.url);
    const organization = new Types.ObjectId(organizationId);
    const updated = await this.locked(organization, async () => {
      const changes: Partial<WebhookEndpoint> = { updatedAt: new Date() };
      if (url !== undefined) changes.url = url;
      if (dto.events !== undefined) changes.events = dto.events;
      if (dto.description !== undefined) changes.description = dto.description;
      if (dto.enabled !== undefined) changes.enabled = dto.enabled;
      const endpoint = await this.endpoints.findOneAndUpdate(scoped(organizationId, id), { $set: changes }, { returnDocument: 'after' }).lean<WebhookEndpoint>();
      if (!endpoint) throw endpointNotFound();
      // Enabling starts afresh: the failure count and the service's own disabling go.
      if (dto.enabled === true) await this.states.deleteOne({ _id: endpoint._id, organizationId: organization });
      return endpoint;
    }, requestId);
    this.endpointCache.forget(organization, updated._id);
    return toWebhookEndpointDto(updated, await this.stateOf(organization, updated._id));
  }

  async remove(organizationId: string, id: string, requestId?: string): Promise<void> {
    const organization = new Types.ObjectId(organizationId);
    await this.locked(organization, async () => {
      const { deletedCount } = await this.endpoints.deleteOne(scoped(organizationId, id));
      if (deletedCount === 0) throw endpointNotFound();
    }, requestId);
    // What was queued for it goes too; a worker holding one finds the endpoint gone and sends nothing.
    const endpointId = new Types.ObjectId(id);
    this.endpointCache.forget(organization, endpointId);
    await this.due.deleteMany({ organizationId: organization, endpointId });
    await this.deliveries.deleteMany({ organizationId: organization, endpointId });
    await this.states.deleteOne({ _id: endpointId, organizationId: organization });
  }

  /** A new secret; the one it replaces keeps signing beside it for 24 hours. Older ones stop now. */
  async rotateSecret(organizationId: string, id: string, requestId?: string): Promise<WebhookEndpointWithSecretDto> {
    const organization = new Types.ObjectId(organizationId);
    const secret = newWebhookSecret();
    const rotated = await this.locked(organization, async () => {
      const endpoint = await this.endpointOf(organizationId, id);
      const now = new Date();
      const current = endpoint.secrets.find((item) => item.expiresAt === null);
      const secrets: EndpointSecret[] = [{ secret, expiresAt: null }];
      if (current) secrets.push({ secret: current.secret, expiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS) });
      const updated = await this.endpoints.findOneAndUpdate(scoped(organizationId, id), { $set: { secrets, updatedAt: now } }, { returnDocument: 'after' }).lean<WebhookEndpoint>();
      if (!updated) throw endpointNotFound();
      return updated;
    }, requestId);
    this.endpointCache.forget(organization, rotated._id);
    return { ...toWebhookEndpointDto(rotated, await this.stateOf(organization, rotated._id)), secret };
  }

  async listDeliveries(organizationId: string, id: string, query: ListWebhookDeliveriesQueryDto): Promise<{ deliveries: WebhookDeliveryDto[]; nextCursor: string | null }> {
    const endpoint = await this.endpointOf(organizationId, id);
    const filter: QueryFilter<WebhookDelivery> = { organizationId: endpoint.organizationId, endpointId: endpoint._id };
    if (query.status) filter.status = query.status;
    // Any well-formed cursor only bounds the page: the filter keeps it to the caller's organization whatever it names.
    if (query.cursor) filter.eventId = { $lt: query.cursor };
    const page = await this.deliveries.find(filter).sort({ eventId: -1 }).limit(query.limit + 1).lean<WebhookDelivery[]>();
    const hasMore = page.length > query.limit;
    const deliveries = hasMore ? page.slice(0, query.limit) : page;
    return { deliveries: deliveries.map(toWebhookDeliveryDto), nextCursor: hasMore ? deliveries[deliveries.length - 1].eventId : null };
  }

  /** Sends a failed delivery again now, with the retry schedule from its start. */
  async retryDelivery(organizationId: string, id: string, deliveryId: string): Promise<WebhookDeliveryDto> {
    const endpoint = await this.endpointOf(organizationId, id);
    await this.ensureEnabled(endpoint);
    const attempt = await this.worker.deliveryLeases.tryAcquire(deliveryId);
    if (!('token' in attempt)) throw new ConflictException('The delivery is being sent right now');
    try {
      const delivery = await this.deliveries.findOne({ _id: deliveryId, organizationId: endpoint.organizationId, endpointId: endpoint._id }).lean<WebhookDelivery>();
      if (!delivery) throw new NotFoundException('Delivery not found');
      if (delivery.status !== 'failed') throw new ConflictException(`Only a failed delivery may be retried; this one is ${delivery.status}`);
      return toWebhookDeliveryDto(await this.worker.requeue(delivery));
    } finally {
      await this.worker.deliveryLeases.release(deliveryId, attempt.token).catch(() => undefined);
    }
  }

  /** Queues a `webhook.test` event for the endpoint, whatever types it asked for. */
  async sendTest(organizationId: string, id: string): Promise<WebhookDeliveryDto> {
    const endpoint = await this.endpointOf(organizationId, id);
    await this.ensureEnabled(endpoint);
    const now = new Date();
    const event = {
      id: `${organizationId}:test-${new Types.ObjectId().toHexString()}`,
      type: 'webhook.test',
      createdAt: now.toISOString(),
      organizationId,
      data: { endpointId: endpoint._id.toHexString() },
    };
    const delivery = await this.worker.enqueue(endpoint, { id: event.id, type: event.type, payload: JSON.stringify(event) });
    if (!delivery) throw endpointNotFound();
    return toWebhookDeliveryDto(delivery);
  }

  private async checkedUrl(url: string): Promise<string> {
    try {
      return await checkWebhookUrl(url, this.settings.policy);
    } catch (error) {
      if (error instanceof WebhookUrlRefused) throw new BadRequestException(error.message);
      throw error;
    }
  }

  private async ensureEnabled(endpoint: WebhookEndpoint): Promise<void> {
    const state = await this.stateOf(endpoint.organizationId, endpoint._id);
    if (!endpoint.enabled || state?.disabledAt) throw new ConflictException('The endpoint is disabled; enable it first');
  }

  private async endpointOf(organizationId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findOne(scoped(organizationId, id)).lean<WebhookEndpoint>();
    if (!endpoint) throw endpointNotFound();
    return endpoint;
  }

  private stateOf(organization: Types.ObjectId, endpointId: Types.ObjectId): Promise<WebhookEndpointState | null> {
    return this.states.findOne({ _id: endpointId, organizationId: organization }).lean<WebhookEndpointState>();
  }

  /** Runs a write holding the organization's endpoints lock; 409 if other writes kept it past the wait. */
  private async locked<T>(organization: Types.ObjectId, write: () => Promise<T>, requestId: string | undefined): Promise<T> {
    const onReleaseError = (error: unknown) => this.logger.warn({ requestId }, `Could not release an organization's webhook endpoints lock: ${String(error)}`);
    try {
      return await this.locks.withLease(organization, { waitMs: LOCK_WAIT_MS, onReleaseError }, write);
    } catch (error) {
      if (!(error instanceof LeaseTimeout)) throw error;
      throw new ConflictException('The organization\'s webhook endpoints are being changed by another request; retry shortly');
    }
  }
}

function scoped(organizationId: string, id: string): QueryFilter<WebhookEndpoint> {
  return { _id: new Types.ObjectId(id), organizationId: new Types.ObjectId(organizationId) };
}

function endpointNotFound(): NotFoundException {
  return new NotFoundException('Webhook endpoint not found');
}
