import { GoneException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { EventDto } from './dto/event.dto';
import { ListEventsQueryDto } from './dto/list-events-query.dto';
import { copiesOf, EventHead, eventId, FeedEvent, RECENT_EVENTS, seqOf } from './event.schema';

/** With filters, a page reads at most this many events past `after`, so its cost stays bounded. */
const MAX_SCAN = 1_000;
/** Point lookups in flight at once. */
export const LOOKUPS_AT_ONCE = 50;

/**
 * The feed. An organization's events are numbered 1, 2, 3… by the relay, which moves the organization's head
 * (`event_heads.seq`) over them once they are stored: a page is a run of point lookups on `_id` from `after`
 * up to the head, never past it. Its cost depends on the page, never on how many events are kept (FerretDB
 * pushes down only an equality on `_id`, and a lookup that finds its document is cheap; one that finds
 * nothing reads the whole collection there, so no reader looks up a number the head does not cover).
 */
@Injectable()
export class EventsService {
  constructor(
    @InjectModel(FeedEvent.name) private readonly events: Model<FeedEvent>,
    @InjectModel(EventHead.name) private readonly heads: Model<EventHead>,
  ) {}

  async list(organizationId: string, query: ListEventsQueryDto): Promise<{ events: EventDto[]; nextCursor: string | null }> {
    const head = await this.headOf(organizationId);
    const last = positionIn(head, organizationId, query.after);
    const types = query.type ? new Set<string>(query.type) : null;
    const matches = (event: FeedEvent) => (!types || types.has(event.type)) && (!query.callId || event.callId === query.callId.toLowerCase());
    const filtered = types !== null || query.callId !== undefined;
    const found: EventDto[] = [];
    let scanned = last;
    const scanLimit = Math.min(head.seq, last + (filtered ? Math.max(MAX_SCAN, query.limit) : query.limit));
    while (found.length < query.limit && scanned < scanLimit) {
      const size = Math.min(LOOKUPS_AT_ONCE, scanLimit - scanned, filtered ? LOOKUPS_AT_ONCE : query.limit - found.length);
      const batch = await this.readRun(organizationId, scanned + 1, size, head.seq);
      for (const event of batch) {
        scanned++;
        if (matches(event)) found.push(toEventDto(event));
        if (found.length === query.limit) break;
      }
      if (batch.length < size) break;
    }
    return { events: found, nextCursor: scanned > 0 ? eventId(organizationId, scanned) : (query.after ?? null) };
  }

  /** The head: every event up to `seq` is stored (or purged, up to `purgedThrough`); readers read no further. */
  async headOf(organizationId: string): Promise<Pick<EventHead, 'seq' | 'purgedThrough'>> {
    const head = (await this.heads.collection.findOne({ _id: organizationId as never }, { projection: { seq: 1, purgedThrough: 1 } })) as EventHead | null;
    return head ?? { seq: 0, purgedThrough: 0 };
  }

  /** The last number readers may read: events past it are not stored yet, or not yet covered by the relay. */
  async lastSeq(organizationId: string): Promise<number> {
    return (await this.headOf(organizationId)).seq;
  }

  /**
   * The sequence number to read after: `after`'s, or, without it, the last one purged (so the oldest kept is
   * next). 404 for an `after` of another organization, 410 for one older than the events kept.
   */
  async positionOf(organizationId: string, after: string | undefined): Promise<number> {
    return positionIn(await this.headOf(organizationId), organizationId, after);
  }

  /**
   * The events numbered `first`, `first + 1`… (at most `count`, looked up at once), up to the first number not
   * found (one purged meanwhile). The caller keeps them within the head, `headSeq`: those among the newest are
   * read from the head's copies, in one lookup, the rest from `events`.
   */
  async readRun(organizationId: string, first: number, count: number, headSeq: number): Promise<FeedEvent[]> {
    const copies =
      first + count - 1 > headSeq - RECENT_EVENTS
        ? copiesOf((await this.heads.collection.findOne({ _id: organizationId as never }, { projection: { copies: 1, recent: 1 } })) as EventHead | null)
        : new Map<number, FeedEvent>();
    const ids = Array.from({ length: count }, (_, index) => eventId(organizationId, first + index));
    const batch = await Promise.all(
      ids.map((id, index) => copies.get(first + index) ?? (this.events.collection.findOne({ _id: id as never }) as Promise<FeedEvent | null>)),
    );
    const end = batch.indexOf(null);
    return (end === -1 ? batch : batch.slice(0, end)) as FeedEvent[];
  }
}

function positionIn(head: Pick<EventHead, 'purgedThrough'>, organizationId: string, after: string | undefined): number {
  if (!after) return head.purgedThrough;
  // Well-formed, but another organization's: as for a foreign call id, there is no such event here.
  if (!after.startsWith(`${organizationId}:`)) throw new NotFoundException('after is not an event of your organization');
  const last = seqOf(after);
  if (last < head.purgedThrough) {
    throw new GoneException(`Event ${after} is older than the events kept (EVENT_RETENTION_DAYS); read the feed again from its start, without after`);
  }
  return last;
}

export function toEventDto(event: FeedEvent): EventDto {
  return {
    id: event._id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    organizationId: event.organizationId,
    data: { call: JSON.parse(event.call) as EventDto['data']['call'], changes: event.changes },
  };
}
