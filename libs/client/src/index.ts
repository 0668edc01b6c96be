export { createCallsClient, IDEMPOTENCY_KEY_HEADER, KEYED_OPERATIONS, newIdempotencyKey, retryAfterMs, unwrap } from './client';
export type { CallsClient, CallsClientOptions, ClientResult, RetryOptions } from './client';
export { CallsApiError, isErrorResponse } from './errors';
export type { ErrorResponse } from './errors';
export type { components, operations, paths } from './generated/openapi';
export { EVENT_STREAM_PATH, SseParser, streamEvents } from './event-stream';
export type { CallEvent, EventStreamFilters, EventStreamOptions, SseMessage } from './event-stream';
