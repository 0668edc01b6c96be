import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventDto } from './dto/event.dto';
import { EventRelay } from './event-relay.service';
import { FeedEvent, seqOf } from './event.schema';
import { EventsService, LOOKUPS_AT_ONCE, toEventDto } from './events.service';

/** How often a tail looks for events that other replicas stored; this process's own wake it at once. */
const POLL_MS = 250;

/** An event as the streams send it: read and serialized once, whoever many streams it goes to. */
export interface TailedEvent {
  seq: number;
  event: EventDto;
  /** The Server-Sent Events frame: `id`, `event` and `data` lines, and the blank line that ends it. */
  frame: string;
}

export type TailListener = (event: TailedEvent) => void;

interface Tail {
  /** The last number read: every event up to it has gone to the listeners of the time. */
  seq: number;
  listeners: Set<TailListener>;
  ready: Promise<void>;
  polling: boolean;
  /** Woken while polling: poll again right after. */
  again: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * One poller per organization with open streams in this process, shared by them: it reads the organization's
 * head (one point lookup on `_id` that finds its document) and then the events up to it (`<org>:<seq+1>`, …),
 * whose cost does not grow with the events kept, on FerretDB as on MongoDB. The relay here wakes it as soon as
 * it moved the head; every POLL_MS it looks for what other replicas relayed. A cache: nothing in it is needed
 * by another replica.
 */
@Injectable()
export class EventTails implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventTails.name);
  private readonly tails = new Map<string, Tail>();

  constructor(
    private readonly feed: EventsService,
    private readonly relay: EventRelay,
  ) {}

  onModuleInit(): void {
    this.relay.onRelayed((organizationId) => this.wake(organizationId));
  }

  onApplicationShutdown(): void {
    for (const tail of this.tails.values()) clearTimeout(tail.timer);
    this.tails.clear();
  }

  /**
   * Listens to the organization's events from the next one the tail reads. Resolves with the number of the
   * last event stored before the listener was added: it gets every event after that one, in order.
   */
  async subscribe(organizationId: string, listener: TailListener): Promise<{ seq: number; unsubscribe: () => void }> {
    let tail = this.tails.get(organizationId);
    if (!tail) {
      const created: Tail = { seq: 0, listeners: new Set(), ready: Promise.resolve(), polling: false, again: false };
      created.ready = this.endOfFeed(organizationId).then((seq) => {
        created.seq = seq;
      });
      this.tails.set(organizationId, (tail = created));
      created.ready.catch(() => {
        if (this.tails.get(organizationId) === created && created.listeners.size === 0) this.tails.delete(organizationId);
      });
    }
    await tail.ready;
    const current = this.tails.get(organizationId) ?? tail;
    if (current !== tail) return this.subscribe(organizationId, listener);
    tail.listeners.add(listener);
    this.schedule(organizationId, tail);
    const subscribed = tail;
    return {
      seq: tail.seq,
      unsubscribe: () => {
        subscribed.listeners.delete(listener);
        if (subscribed.listeners.size === 0 && this.tails.get(organizationId) === subscribed) {
          clearTimeout(subscribed.timer);
          this.tails.delete(organizationId);
        }
      },
    };
  }

  /** The last number the organization's tail has read (0 without a tail). */
  seqOf(organizationId: string): number {
    return this.tails.get(organizationId)?.seq ?? 0;
  }

  /** Polls the organization's tail now, if this process has one. */
  wake(organizationId: string): void {
    const tail = this.tails.get(organizationId);
    if (tail && tail.listeners.size > 0) void this.poll(organizationId, tail);
  }

  /** The head: the last event readers may read. */
  private endOfFeed(organizationId: string): Promise<number> {
    return this.feed.lastSeq(organizationId);
  }

  private schedule(organizationId: string, tail: Tail): void {
    clearTimeout(tail.timer);
    tail.timer = setTimeout(() => void this.poll(organizationId, tail), POLL_MS);
    tail.timer.unref();
  }

  private async poll(organizationId: string, tail: Tail): Promise<void> {
    if (tail.polling) {
      tail.again = true;
      return;
    }
    tail.polling = true;
    try {
      do {
        tail.again = false;
        // The head while nothing is new; then the events up to it, in runs.
        const head = await this.feed.lastSeq(organizationId);
        while (tail.seq < head && this.tails.get(organizationId) === tail) {
          const size = Math.min(LOOKUPS_AT_ONCE, head - tail.seq);
          const run = await this.feed.readRun(organizationId, tail.seq + 1, size, head);
          for (const event of run) this.publish(tail, event);
          // Purged before it was read (a tail far behind): the streams past it catch up from the feed.
          if (run.length < size) break;
        }
      } while (tail.again && this.tails.get(organizationId) === tail);
    } catch (error) {
      this.logger.warn(`Could not read the events of organization ${organizationId}: ${String(error)}`);
    } finally {
      tail.polling = false;
      if (this.tails.get(organizationId) === tail) this.schedule(organizationId, tail);
    }
  }

  private publish(tail: Tail, stored: FeedEvent): void {
    const seq = seqOf(stored._id);
    if (seq !== tail.seq + 1) return;
    tail.seq = seq;
    const tailed = toTailedEvent(stored);
    for (const listener of tail.listeners) {
      try {
        listener(tailed);
      } catch (error) {
        this.logger.warn(`An event stream failed to take event ${stored._id}: ${String(error)}`);
      }
    }
  }
}

export function toTailedEvent(stored: FeedEvent): TailedEvent {
  const event = toEventDto(stored);
  return { seq: seqOf(stored._id), event, frame: `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n` };
}
