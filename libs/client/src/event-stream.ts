import { CallsApiError, inErrorShape, isErrorResponse, type ErrorResponse } from './errors';
import type { components, operations } from './generated/openapi';

/** One change to a call, as the feed and the stream carry it (openapi.yaml's Event). */
export type CallEvent = components['schemas']['Event'];

/** The stream's filters: `type` (any of), `callId`, `userId`. */
export type EventStreamFilters = Omit<NonNullable<operations['streamEvents']['parameters']['query']>, 'after'>;

export const EVENT_STREAM_PATH = '/api/events/stream';

export interface EventStreamOptions {
  /** Where the service is, e.g. `https://calls.example.com`. */
  baseUrl: string;
  /** The bearer token, or a function asked before every connection (so a reconnection uses a fresh token). */
  token: string | (() => string | Promise<string>);
  filters?: EventStreamFilters;
  /** Start after this event (the id of the last event handled); absent, with the next event stored. */
  lastEventId?: string;
  /** Ends the stream: the iteration finishes (breaking out of `for await` does the same). */
  signal?: AbortSignal;
  /** The first wait before reconnecting, unless the service names one (`retry:`). Doubles while connecting fails. Default 1 000 ms. */
  reconnectDelayMs?: number;
  /** The longest wait between reconnections. Default 30 000 ms. */
  maxReconnectDelayMs?: number;
  /** Told each time the connection drops or a connection fails, before the reconnection. */
  onDisconnect?: (reason: unknown) => void;
  /** The fetch to use; the global one by default. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/**
 * The organization's call events, live: `for await (const event of streamEvents({ baseUrl, token })) …`.
 * Reads `GET /api/events/stream` with fetch (Node 20 and browsers alike; unlike `EventSource` it can send the
 * Authorization header, so it needs no ticket). When the connection drops or the service ends it (a token that
 * expired, a replica shutting down, a client that read too slowly), it reconnects with `Last-Event-ID`, and the
 * service sends what was missed: every event once, in feed order. An answer that reconnecting cannot mend (401 with
 * no fresh token, 404 or 410 for `lastEventId`, 400) ends the iteration with a CallsApiError; 429 and 503 are
 * retried, after their Retry-After.
 */
export async function* streamEvents(options: EventStreamOptions): AsyncGenerator<CallEvent, void, undefined> {
  const send = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  const firstDelay = options.reconnectDelayMs ?? 1000;
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  const aborter = new AbortController();
  const stop = () => aborter.abort(options.signal?.reason);
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', stop, { once: true });
  const { signal } = aborter;
  let lastEventId = options.lastEventId;
  let delay = firstDelay;
  let failures = 0;

  try {
    while (!signal.aborted) {
      let wait: number;
      try {
        const response = await send(streamUrl(options.baseUrl, options.filters), { headers: await headersFor(options, lastEventId), signal });
        if (!response.ok || !isEventStream(response)) {
          const retryAfter = await refusal(response);
          wait = retryAfter ?? backoff(delay, ++failures, maxDelay);
          options.onDisconnect?.(new Error(`The service answered ${response.status}; connecting again in ${wait} ms`));
        } else {
          failures = 0;
          for await (const message of messagesOf(response, signal)) {
            if (message.retry !== undefined) delay = message.retry;
            if (message.id !== undefined) lastEventId = message.id;
            if (message.data !== undefined) yield JSON.parse(message.data) as CallEvent;
          }
          // The service ended the stream: connect again, as EventSource would.
          wait = delay;
          options.onDisconnect?.(new Error('The service ended the stream'));
        }
      } catch (error) {
        if (signal.aborted || error instanceof CallsApiError) throw signal.aborted ? stopped : error;
        wait = backoff(delay, ++failures, maxDelay);
        options.onDisconnect?.(error);
      }
      await sleep(Math.min(wait, maxDelay), signal);
    }
  } catch (error) {
    if (error !== stopped) throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    // Ends the request when the consumer stops iterating.
    aborter.abort();
  }
}

/** Thrown inside to unwind when the caller aborts; never seen outside. */
const stopped = new Error('stopped');

function streamUrl(baseUrl: string, filters: EventStreamFilters = {}): string {
  const query = new URLSearchParams();
  for (const type of filters.type ?? []) query.append('type', type);
  if (filters.callId !== undefined) query.set('callId', filters.callId);
  if (filters.userId !== undefined) query.set('userId', filters.userId);
  const search = query.toString();
  return `${baseUrl.replace(/\/+$/, '')}${EVENT_STREAM_PATH}${search ? `?${search}` : ''}`;
}

async function headersFor(options: EventStreamOptions, lastEventId: string | undefined): Promise<Record<string, string>> {
  const token = typeof options.token === 'function' ? await options.token() : options.token;
  return {
    Accept: 'text/event-stream',
    Authorization: `Bearer ${token}`,
    ...(lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }),
  };
}

function isEventStream(response: Response): boolean {
  return (response.headers.get('Content-Type') ?? '').startsWith('text/event-stream') && response.body !== null;
}

/** For 429 and 503, how long to wait (null: the client's own backoff); any other refusal is thrown. */
async function refusal(response: Response): Promise<number | null> {
  if (response.status === 429 || response.status === 503) {
    await response.body?.cancel();
    const seconds = Number(response.headers.get('Retry-After'));
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
  }
  const shaped = await inErrorShape(response);
  const body: unknown = await shaped.json().catch(() => null);
  const error: ErrorResponse = isErrorResponse(body)
    ? body
    : { success: false, statusCode: response.status, error: response.statusText, message: 'The answer is not an event stream' };
  throw new CallsApiError(error, response);
}

function backoff(delay: number, failures: number, maxDelay: number): number {
  return Math.min(maxDelay, delay * 2 ** Math.max(0, failures - 1));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** One dispatched Server-Sent Events message: the fields of a block, as the WHATWG parsing rules read them. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

async function* messagesOf(response: Response, signal: AbortSignal): AsyncGenerator<SseMessage> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) return;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/**
 * Text in, messages out, whatever the chunks' boundaries: lines end in CRLF, LF or CR; a line starting with `:` is a
 * comment (the heartbeat); `field: value` with one optional space; a blank line dispatches the block. A block whose
 * last line was cut off by the connection dropping is never dispatched: it comes again after the reconnection.
 */
export class SseParser {
  private buffer = '';
  private block: SseMessage = {};
  private data: string[] | null = null;

  /** The text seen so far ended in a CR: a LF that starts the next text is the second half of its CRLF. */
  private afterCr = false;

  *push(text: string): Generator<SseMessage> {
    this.buffer += this.afterCr && text.startsWith('\n') ? text.slice(1) : text;
    this.afterCr = false;
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end === -1) return;
      const line = this.buffer.slice(0, end);
      const crlf = this.buffer.startsWith('\r\n', end);
      if (!crlf && this.buffer[end] === '\r' && end === this.buffer.length - 1) this.afterCr = true;
      this.buffer = this.buffer.slice(end + (crlf ? 2 : 1));
      const message = this.line(line);
      if (message) yield message;
    }
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const message = { ...this.block, ...(this.data ? { data: this.data.join('\n') } : {}) };
      this.block = {};
      this.data = null;
      return Object.keys(message).length > 0 ? message : null;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'data') (this.data ??= []).push(value);
    else if (field === 'event') this.block.event = value;
    else if (field === 'id' && !value.includes('\0')) this.block.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.block.retry = Number(value);
    return null;
  }
}
