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
 * What a stream may hold unsent (in Node's buffers, past what the socket took), plus the event being written. A stream
 * this full writes nothing more: it leaves the events in the feed and reads them from there once its client has read
 * what waits (backpressure, so a burst does not cut off a client that keeps up). 1,000 streams that all stall hold at
 * most 64 MB.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024;
/**
 * How long a full stream waits for its client to read. A client that reads nothing for this long is cut off, and
 * resumes from its Last-Event-ID, rather than hold a connection and its buffer for ever.
 */
export const STALL_MS = 10_000;
/** A timer longer than this fires at once (Node's limit); a token is never trusted for that long anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Stream {
  organizationId: string;
  /** The request that opened it, which its log lines name. */
  requestId: string;
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
    const stream: Stream = { organizationId, requestId: reply.request.id, response, seq: 0, live: false, matches: matcher(query), close: () => undefined };
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
      this.logger.debug({ requestId: stream.requestId }, `Ending an event stream of organization ${organizationId}: ${reason}`);
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
    // A gap (the tail read ahead of it), or a client with as much waiting as it may: the feed has the events.
    if (event.seq !== stream.seq + 1 || isFull(stream.response)) {
      stream.live = false;
      void this.catchUp(stream);
      return;
    }
    this.send(stream, event);
  }

  private send(stream: Stream, event: TailedEvent): void {
    stream.seq = event.seq;
    const { response } = stream;
    // Callers saw room for it; the check is theirs, so that an event is never passed over for a full buffer.
    if (stream.matches(event) && !response.writableEnded && !response.destroyed) response.write(event.frame);
  }

  /**
   * Reads from the feed what was stored between the stream's position and the tail's, then goes live. The
   * switch happens with no await between comparing the two and setting `live`, so no event falls between.
   * Before each event, a full stream waits for its client to read (or cuts it off after STALL_MS).
   */
  private async catchUp(stream: Stream): Promise<void> {
    try {
      while (this.streams.has(stream)) {
        if (isFull(stream.response) && !(await this.readByClient(stream))) return;
        const target = this.tails.seqOf(stream.organizationId);
        if (stream.seq >= target) {
          stream.live = true;
          return;
        }
        const run = await this.feed.readRun(stream.organizationId, stream.seq + 1, Math.min(LOOKUPS_AT_ONCE, target - stream.seq), target);
        // Not there although the tail read past it: purged meanwhile. The client's reconnection is told (410).
        if (run.length === 0) return stream.close('its next event is no longer kept');
        for (const stored of run) {
          if (isFull(stream.response) && !(await this.readByClient(stream))) return;
          if (!this.streams.has(stream)) return;
          const event = toTailedEvent(stored);
          if (event.seq === stream.seq + 1) this.send(stream, event);
        }
      }
    } catch (error) {
      this.logger.warn({ requestId: stream.requestId }, `Could not replay events to a stream of organization ${stream.organizationId}: ${String(error)}`);
      stream.close('its events could not be read');
    }
  }

  /**
   * Waits until the client has read what waits for it: true. False when the stream ended meanwhile, or when the client
   * did not read its way below the cap within STALL_MS: then it is cut off.
   */
  private async readByClient(stream: Stream): Promise<boolean> {
    const { response } = stream;
    await drained(response, STALL_MS);
    if (!this.streams.has(stream)) return false;
    if (!isFull(response)) return true;
    this.logger.warn(
      { requestId: stream.requestId },
      `Cut off an event stream of organization ${stream.organizationId}: its client left ${response.writableLength} bytes unread for ${STALL_MS} ms`,
    );
    stream.close('its client reads too slowly');
    // What is buffered goes with the connection; the client resumes from the last event it read.
    response.destroy();
    return false;
  }

  private write(stream: Stream, text: string): void {
    const { response } = stream;
    // A full stream's client is not reading: a heartbeat would only add to what waits.
    if (response.writableEnded || response.destroyed || isFull(response)) return;
    response.write(text);
  }
}

/** Holding more than the cap: nothing more is written until the client reads. One event may take it past the cap. */
function isFull(response: ServerResponse): boolean {
  return response.writableLength > MAX_BUFFERED_BYTES;
}

/** Resolves when the response drains or closes, or after `timeoutMs`, whichever comes first. */
function drained(response: ServerResponse, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    // Nothing to keep a stopping process waiting for.
    timer.unref();
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
