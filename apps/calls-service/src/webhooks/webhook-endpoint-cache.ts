import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { WebhookEndpoint, WebhookEndpointState } from './schemas/webhook.schema';

/**
 * How long an endpoint as read stays in use without being read again. Another replica's admin change
 * (disabling, a new URL, a rotated secret, a deletion) reaches this one's fan-out and sends at most this
 * late; this replica's own changes reach it at once (forget).
 */
export const ENDPOINT_CACHE_MS = 1_000;
/** Beyond this many endpoints known, the stale ones are dropped. */
const MAX_KNOWN = 5_000;

/** An endpoint with what the workers learned about it. */
export interface KnownEndpoint {
  endpoint: WebhookEndpoint;
  state: WebhookEndpointState | null;
}

interface Cached<T> {
  value: T;
  readAt: number;
}

/**
 * The endpoints the fan-out and the workers use, read at most once per ENDPOINT_CACHE_MS: every attempt and
 * every fan-out needs them, they change rarely, and FerretDB reads a whole collection for any filter but `_id`
 * alone (and for a lookup by `_id` that finds nothing). Reads are by `_id` alone, or by organization for the
 * fan-out's list; both are background work, never steered by a caller's input.
 */
@Injectable()
export class WebhookEndpointCache {
  private readonly byId = new Map<string, Cached<KnownEndpoint | null>>();
  private readonly byOrganization = new Map<string, Cached<KnownEndpoint[]>>();

  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    @InjectModel(WebhookEndpointState.name) private readonly states: Model<WebhookEndpointState>,
  ) {}

  /** The endpoint and its state, or null when it is gone. */
  async endpoint(endpointId: Types.ObjectId): Promise<KnownEndpoint | null> {
    const key = endpointId.toHexString();
    const cached = fresh(this.byId.get(key));
    if (cached) return cached.value;
    const readAt = Date.now();
    const endpoint = await this.endpoints.collection.findOne<WebhookEndpoint>({ _id: endpointId });
    const known = endpoint ? { endpoint, state: await this.stateOf(endpointId) } : null;
    this.byId.set(key, { value: known, readAt });
    if (this.byId.size > MAX_KNOWN) dropStale(this.byId);
    return known;
  }

  /** Every endpoint of the organization, enabled or not, oldest first. */
  async ofOrganization(organizationId: string): Promise<KnownEndpoint[]> {
    const cached = fresh(this.byOrganization.get(organizationId));
    if (cached) return cached.value;
    const readAt = Date.now();
    const endpoints = await this.endpoints.find({ organizationId: new Types.ObjectId(organizationId) }).sort({ _id: 1 }).lean<WebhookEndpoint[]>();
    const known = await Promise.all(endpoints.map(async (endpoint) => ({ endpoint, state: await this.stateOf(endpoint._id) })));
    this.byOrganization.set(organizationId, { value: known, readAt });
    if (this.byOrganization.size > MAX_KNOWN) dropStale(this.byOrganization);
    for (const item of known) this.byId.set(item.endpoint._id.toHexString(), { value: item, readAt });
    return known;
  }

  /** What a worker just wrote of the endpoint's state: used at once here, without a read. */
  stateWritten(endpointId: Types.ObjectId, organizationId: Types.ObjectId, state: WebhookEndpointState): void {
    const cached = this.byId.get(endpointId.toHexString());
    if (cached?.value) cached.value = { ...cached.value, state };
    const listed = this.byOrganization.get(organizationId.toHexString());
    if (listed) listed.value = listed.value.map((item) => (item.endpoint._id.equals(endpointId) ? { ...item, state } : item));
  }

  /** An admin changed the organization's endpoints here: read them again. */
  forget(organizationId: Types.ObjectId, endpointId?: Types.ObjectId): void {
    this.byOrganization.delete(organizationId.toHexString());
    if (endpointId) this.byId.delete(endpointId.toHexString());
  }

  private stateOf(endpointId: Types.ObjectId): Promise<WebhookEndpointState | null> {
    return this.states.collection.findOne<WebhookEndpointState>({ _id: endpointId });
  }
}

function dropStale<T>(known: Map<string, Cached<T>>): void {
  for (const [key, cached] of known) if (!fresh(cached)) known.delete(key);
}

function fresh<T>(cached: Cached<T> | undefined): Cached<T> | undefined {
  return cached && Date.now() - cached.readAt < ENDPOINT_CACHE_MS ? cached : undefined;
}
