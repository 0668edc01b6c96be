import { BadRequestException, BeforeApplicationShutdown, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ServerResponse } from 'node:http';
import { FastifyReply } from 'fastify';
import { loggedAsStream } from '../common/logging/request-logging';
import { Environment } from '../config/environment';
import { StreamEventsQueryDto } from './dto/stream-events-query.dto';
import { EVENT_ID } from './event.schema';
import { EventTails, TailedEvent, toTailedEvent } from './event-tail.service';
import { EventsService, LOOKUPS_AT_ONCE } from './events.service';
import { TicketHolder } from './stream-tickets.service';

/**
 * What a stream may hold unsent (in Node's buffers, past what the socket took), plus the event being written. A client
 * that falls this far behind is cut off, and resumes from its Last-Event-ID, rather than make the process hold
 * ever more for it: 1,000 streams that all stall hold at most 64 MB.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024;
/** A timer longer than this fires at once (Node's limit); a token is never trusted for that long anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Stream {
  organizationId: string;
  response: ServerResponse;
  /** The number of the last event sent or passed over by the filters. */
  seq: number;
  /** Taking events from the tail; false while catching up on what was stored before. */
  live: boolean;
  matches: (event: TailedEvent) => boolean;
  close: (reason: string) => void;
}

/**
 * The live event streams of this process: Server-Sent Events, each fed by its organization's tail. A stream
 * that resumes (Last-Event-ID or `after`) first reads what it missed from the feed, then takes the tail's
 * events; one number at a time, so nothing is skipped or sent twice.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreams.name);
  private readonly streams = new Set<Stream>();
  private readonly heartbeatMs: number;
  private closing = false;

  constructor(
    private readonly feed: EventsService,
    private readonly tails: EventTails,
    config: ConfigService<Environment, true>,
  ) {
    this.heartbeatMs = config.get('SSE_HEARTBEAT_MS', { infer: true });
  }

  /** Ends every stream before the HTTP server drains: their clients reconnect, to another replica. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const stream of [...this.streams]) stream.close('the service is shutting down');
  }

  get openCount(): number {
    return this.streams.size;
  }

  async open(caller: TicketHolder, query: StreamEventsQueryDto, lastEventId: string | undefined, reply: FastifyReply): Promise<void> {
    if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) throw new BadRequestException('Last-Event-ID must be an event id this service issued');
    if (this.closing) throw new ServiceUnavailableException('The service is shutting down; connect again');
    const { organizationId } = caller;
    // The browser's reconnection sends Last-Event-ID with the URL it first opened: the header is the newer.
    const resumeFrom = lastEventId ?? query.after;
    const start = resumeFrom === undefined ? undefined : await this.feed.positionOf(organizationId, resumeFrom);

    const response = reply.raw;
    const stream: Stream = { organizationId, response, seq: 0, live: false, matches: matcher(query), close: () => undefined };
    const subscription = await this.tails.subscribe(organizationId, (event) => this.take(stream, event));
    stream.seq = start ?? subscription.seq;

    reply.hijack();
    loggedAsStream(reply.request);
    if (response.destroyed) {
      // The client left while the stream was being set up.
      subscription.unsubscribe();
      return;
    }
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx and its kin would otherwise hold events back to fill a buffer.
      'X-Accel-Buffering': 'no',
      // The connection serves this stream only: once it ends, the client opens another, anywhere.
      Connection: 'close',
    });
    response.write(': stream open\n\n');

    const heartbeat = setInterval(() => this.write(stream, ':\n\n'), this.heartbeatMs);
    const expiry = setTimeout(() => stream.close('the token expired'), Math.min(MAX_TIMER_MS, Math.max(0, caller.until.getTime() - Date.now())));
    let closed = false;
    const release = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      subscription.unsubscribe();
      this.streams.delete(stream);
    };
    stream.close = (reason: string) => {
      if (closed) return;
      this.logger.debug(`Ending an event stream of organization ${organizationId}: ${reason}`);
      release();
      response.end();
    };
    response.once('close', release);
    this.streams.add(stream);
    await this.catchUp(stream);
  }

  /** An event from the tail: sent if it is the stream's next, or the stream catches up to it first. */
  private take(stream: Stream, event: TailedEvent): void {
    if (!stream.live || event.seq <= stream.seq) return;
    if (event.seq !== stream.seq + 1) {
      stream.live = false;
      void this.catchUp(stream);
      return;
    }
    this.send(stream, event);
  }

  private send(stream: Stream, event: TailedEvent): void {
    stream.seq = event.seq;
    if (stream.matches(event)) this.write(stream, event.frame);
  }

  /**
   * Reads from the feed what was stored between the stream's position and the tail's, then goes live. The
   * switch happens with no await between comparing the two and setting `live`, so no event falls between.
   */
  private async catchUp(stream: Stream): Promise<void> {
    try {
      while (this.streams.has(stream)) {
        const target = this.tails.seqOf(stream.organizationId);
        if (stream.seq >= target) {
          stream.live = true;
          return;
        }
        const run = await this.feed.readRun(stream.organizationId, stream.seq + 1, Math.min(LOOKUPS_AT_ONCE, target - stream.seq), target);
        // Not there although the tail read past it: purged meanwhile. The client's reconnection is told (410).
        if (run.length === 0) return stream.close('its next event is no longer kept');
        for (const stored of run) {
          if (!this.streams.has(stream)) return;
          const event = toTailedEvent(stored);
          if (event.seq === stream.seq + 1) this.send(stream, event);
        }
        // Replaying is the one place the stream can wait for its client, rather than cut it off.
        if (stream.response.writableLength > MAX_BUFFERED_BYTES / 2) await drained(stream.response);
      }
    } catch (error) {
      this.logger.warn(`Could not replay events to a stream of organization ${stream.organizationId}: ${String(error)}`);
      stream.close('its events could not be read');
    }
  }

  private write(stream: Stream, text: string): void {
    const { response } = stream;
    if (response.writableEnded || response.destroyed) return;
    // Checked before writing, so that one event larger than the cap still goes to a client that keeps up:
    // a stream holds at most the cap plus one event.
    if (response.writableLength > MAX_BUFFERED_BYTES) {
      this.logger.warn(`Cut off an event stream of organization ${stream.organizationId}: its client fell ${response.writableLength} bytes behind`);
      stream.close('its client reads too slowly');
      // What is buffered goes with the connection; the client resumes from the last event it read.
      response.destroy();
      return;
    }
    response.write(text);
  }
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

function matcher(query: StreamEventsQueryDto): (event: TailedEvent) => boolean {
  const types = query.type ? new Set<string>(query.type) : null;
  const callId = query.callId?.toLowerCase();
  const userId = query.userId?.toLowerCase();
  return ({ event }) =>
    (!types || types.has(event.type)) && (!callId || event.data.call._id === callId) && (!userId || event.data.call.userId === userId);
}
