import { IncomingHttpHeaders, IncomingMessage, request as httpRequest } from 'node:http';

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  /** When the event's last byte arrived (Date.now()). */
  at: number;
}

export interface SseStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body of an answer that is not a stream (an error), parsed. */
  body?: unknown;
  events: SseEvent[];
  /** How many comment lines arrived (the heartbeat, and the opening one). */
  comments: number;
  response: IncomingMessage;
  /** Resolves when the server ends the stream (or the connection drops). */
  ended: Promise<void>;
  isEnded: () => boolean;
  /** Resolves once `count` events have arrived in all, or rejects after the timeout with what did. */
  waitForEvents: (count: number, timeoutMs?: number) => Promise<SseEvent[]>;
  close: () => void;
}

/**
 * Opens `GET <path>` as an EventSource would and parses what arrives; `pause: true` reads nothing (a client
 * too slow to keep up) until `response.resume()`.
 */
export function openStream(baseUrl: string, path: string, headers: Record<string, string> = {}, { pause = false } = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { headers: { Accept: 'text/event-stream', ...headers } });
    request.on('error', reject);
    request.on('response', (response) => {
      const events: SseEvent[] = [];
      let comments = 0;
      let buffer = '';
      let ended = false;
      const waiters: Array<() => void> = [];
      const notify = () => waiters.splice(0).forEach((wake) => wake());
      const endedPromise = new Promise<void>((done) => {
        const finish = () => {
          ended = true;
          notify();
          done();
        };
        response.once('end', finish);
        response.once('close', finish);
        response.once('error', finish);
      });
      const stream: SseStream = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        get comments() {
          return comments;
        },
        response,
        ended: endedPromise,
        isEnded: () => ended,
        waitForEvents: async (count, timeoutMs = 5000) => {
          const deadline = Date.now() + timeoutMs;
          while (events.length < count) {
            if (ended || Date.now() > deadline) {
              throw new Error(`${events.length} events of ${count} arrived (stream ${ended ? 'ended' : 'open'}): ${events.map((event) => event.id).join(', ')}`);
            }
            await new Promise<void>((wake) => {
              waiters.push(wake);
              setTimeout(wake, 50);
            });
          }
          return events.slice(0, count);
        },
        close: () => request.destroy(),
      };
      if (!(response.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ ...stream, body: text ? JSON.parse(text) : undefined }));
        return;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { at: Date.now() };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments++;
            const match = /^(id|event|data): ?(.*)$/.exec(line);
            if (match) {
              event[match[1] as 'id' | 'event' | 'data'] = match[2];
              isEvent = true;
            }
          }
          if (isEvent) events.push(event);
        }
        notify();
      });
      if (pause) response.pause();
      resolve(stream);
    });
    request.end();
  });
}
