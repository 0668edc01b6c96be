import type { components } from './generated/openapi';

/** The one shape of every error answer (openapi.yaml's ErrorResponse). */
export type ErrorResponse = components['schemas']['ErrorResponse'];

/** Thrown by `unwrap` for an error answer; `body` is always in the contract's error shape. */
export class CallsApiError extends Error {
  readonly status: number;
  readonly body: ErrorResponse;
  /** The service's X-Request-Id for the request, to find its log lines. */
  readonly requestId: string | null;

  constructor(body: ErrorResponse, response: Response) {
    super(`${response.status} ${body.error}: ${body.message}`);
    this.name = 'CallsApiError';
    this.status = response.status;
    this.body = body;
    this.requestId = response.headers.get('X-Request-Id');
  }
}

export function isErrorResponse(value: unknown): value is ErrorResponse {
  if (value === null || typeof value !== 'object') return false;
  const body = value as Record<string, unknown>;
  return body.success === false && typeof body.statusCode === 'number' && typeof body.error === 'string' && typeof body.message === 'string';
}

/**
 * An error answer in the contract's shape even when the service did not write it (a proxy's 502 page,
 * a gateway's plain-text 504), so callers handle one shape.
 */
export async function inErrorShape(response: Response): Promise<Response> {
  const text = await response.clone().text();
  try {
    if (isErrorResponse(JSON.parse(text))) return response;
  } catch {
    // not JSON: wrapped below
  }
  const body: ErrorResponse = {
    success: false,
    statusCode: response.status,
    error: response.statusText || `HTTP ${response.status}`,
    message: text.trim().slice(0, 500) || `The service answered ${response.status} with no body`,
  };
  const headers = new Headers(response.headers);
  headers.set('Content-Type', 'application/json');
  headers.delete('Content-Length');
  return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
}
