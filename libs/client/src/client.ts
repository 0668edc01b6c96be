import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { CallsApiError, inErrorShape, isErrorResponse } from './errors';
import type { paths } from './generated/openapi';

export type CallsClient = Client<paths>;

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The operations whose contract takes an Idempotency-Key: a POST the service can safely see twice.
 * client.spec.ts keeps this list equal to openapi.yaml's.
 */
export const KEYED_OPERATIONS: readonly string[] = ['/api/calls/sdk/initiate'];

export interface RetryOptions {
  /** Tries in all, the first included. Default 3. */
  attempts?: number;
  /** The longest wait between tries; a Retry-After asking for more ends the retries. Default 10 000 ms. */
  maxDelayMs?: number;
  /** The first wait when the answer names none (doubled on each retry). Default 200 ms. */
  baseDelayMs?: number;
}

export interface CallsClientOptions {
  /** Where the service is, e.g. `https://calls.example.com`; paths start with `/api`. */
  baseUrl: string;
  /** The bearer token, or a function asked before every try (so a refreshed token is used on a retry). */
  token?: string | (() => string | Promise<string>);
  /** `false` for no retries. */
  retry?: RetryOptions | false;
  /** The fetch to use; the global one by default. */
  fetch?: (request: Request) => Promise<Response>;
}

type Fetch = (request: Request, init?: RequestInit) => Promise<Response>;

/**
 * A client for every operation of openapi.yaml, typed by the generated `paths`:
 * `const { data, error, response } = await client.POST('/api/calls/sdk/initiate', { body })`.
 * On top of openapi-fetch it adds the bearer token, an Idempotency-Key for the operations that take one
 * (made once per call of the client and sent again on every retry), retries of 429 and 503 that honour
 * Retry-After, and an `error` that is always in the contract's ErrorResponse shape.
 */
export function createCallsClient(options: CallsClientOptions): CallsClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: retrying(options) });
  client.use(idempotencyKeys, errorsInContractShape);
  return client;
}

const idempotencyKeys: Middleware = {
  onRequest({ request, schemaPath }) {
    if (request.method === 'POST' && KEYED_OPERATIONS.includes(schemaPath) && !request.headers.has(IDEMPOTENCY_KEY_HEADER)) {
      request.headers.set(IDEMPOTENCY_KEY_HEADER, newIdempotencyKey());
    }
  },
};

const errorsInContractShape: Middleware = {
  async onResponse({ response }) {
    return response.ok ? undefined : inErrorShape(response);
  },
};

/** A random key; crypto.randomUUID where the page is a secure context, else the same from random bytes. */
export function newIdempotencyKey(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const hex = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Seeing the same request twice is harmless for every operation of this contract except a POST without
 * an Idempotency-Key (it would record twice): a PATCH sets fields, and a call reported again in the
 * status it already has is unchanged. Such a POST is retried only after 429, which the service answers
 * before doing anything.
 */
function repeatable(request: Request): boolean {
  return request.method !== 'POST' || request.headers.has(IDEMPOTENCY_KEY_HEADER);
}

function retrying(options: CallsClientOptions): Fetch {
  const send = options.fetch ?? ((request: Request, init?: RequestInit) => globalThis.fetch(request, init));
  const retry = options.retry === false ? { attempts: 1 } : (options.retry ?? {});
  const attempts = Math.max(1, retry.attempts ?? 3);
  const maxDelayMs = retry.maxDelayMs ?? 10_000;
  const baseDelayMs = retry.baseDelayMs ?? 200;

  return async (request, init) => {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      // The original is never sent, only copies: each try needs a body of its own.
      const copy = request.clone();
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      if (token !== undefined) copy.headers.set('Authorization', `Bearer ${token}`);
      let response: Response;
      try {
        response = await send(copy, init);
      } catch (error) {
        // No answer: the request may or may not have been handled, so only a repeatable one is sent again.
        if (last || !repeatable(request)) throw error;
        await sleep(backoff(baseDelayMs, attempt));
        continue;
      }
      // A keyed request answered 409 with Retry-After is one whose earlier try is still being carried out:
      // the contract asks to send it again after the wait, with the same key.
      const stillRunning = response.status === 409 && request.headers.has(IDEMPOTENCY_KEY_HEADER) && response.headers.has('Retry-After');
      const retriable = response.status === 429 || stillRunning || (response.status === 503 && repeatable(request));
      if (!retriable || last) return response;
      const delay = retryAfterMs(response.headers.get('Retry-After')) ?? backoff(baseDelayMs, attempt);
      if (delay > maxDelayMs) return response;
      await response.body?.cancel();
      await sleep(delay);
    }
  };
}

function backoff(baseDelayMs: number, attempt: number): number {
  return baseDelayMs * 2 ** (attempt - 1);
}

/** Retry-After in delay-seconds or as an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month; Date.parse alone would take `-1` for a year.
  const date = /^[A-Za-z]{3}, /.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What openapi-fetch resolves with: data on success, error otherwise. */
export interface ClientResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or a CallsApiError in the contract's error shape: for callers who prefer throwing. */
export function unwrap<T>(result: ClientResult<T>): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = isErrorResponse(result.error)
      ? result.error
      : { success: false as const, statusCode: result.response.status, error: result.response.statusText, message: 'Unexpected answer' };
    throw new CallsApiError(body, result.response);
  }
  return result.data as T;
}
