import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far `x-timestamp` may be from our clock before a signed request is refused as stale or replayed. */
export const SIGNED_TIMESTAMP_TOLERANCE_MS = 5 * 60 * 1000;

export interface SinchCredentials {
  applicationKey: string;
  /** Base64, as the Sinch dashboard shows it. */
  applicationSecret: string;
}

/** The parts of an HTTP request that Sinch's signed-request scheme covers. */
export interface SignedRequest {
  method: string;
  /** The request path, without the query string. */
  path: string;
  /** The Content-Type header exactly as sent (charset and all). */
  contentType: string;
  /** The x-timestamp header exactly as sent. */
  timestamp: string;
  /** The body bytes as received: re-serialised JSON would hash differently. */
  body: Buffer;
}

export type VerificationFailure = 'missing-authorization' | 'malformed-authorization' | 'wrong-key' | 'bad-signature' | 'missing-timestamp' | 'stale-timestamp';

export type Verification = { ok: true } | { ok: false; failure: VerificationFailure };

export function contentMd5(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}

export function stringToSign(request: SignedRequest): string {
  return [request.method.toUpperCase(), contentMd5(request.body), request.contentType, `x-timestamp:${request.timestamp}`, request.path].join('\n');
}

function signatureBytes(secret: string, request: SignedRequest): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'base64')).update(stringToSign(request), 'utf8').digest();
}

export function sign(credentials: SinchCredentials, request: SignedRequest): string {
  return signatureBytes(credentials.applicationSecret, request).toString('base64');
}

/** The Authorization header value Sinch sends with a signed request. */
export function authorizationHeader(credentials: SinchCredentials, request: SignedRequest): string {
  return `Application ${credentials.applicationKey}:${sign(credentials, request)}`;
}

const AUTHORIZATION = /^application\s+([^:\s]+):(\S+)$/i;

/**
 * Checks a request Sinch says it signed. The signature is compared in constant time; the key is
 * not secret, so a plain comparison is enough for it.
 */
export function verify(
  credentials: SinchCredentials,
  authorization: string | undefined,
  request: Omit<SignedRequest, 'timestamp'> & { timestamp: string | undefined },
  now: Date,
): Verification {
  if (!authorization) return { ok: false, failure: 'missing-authorization' };
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) return { ok: false, failure: 'malformed-authorization' };
  const [, key, signature] = match;
  // Application keys are UUIDs, which name the same key in either case.
  if (key.toLowerCase() !== credentials.applicationKey.toLowerCase()) return { ok: false, failure: 'wrong-key' };

  const { timestamp } = request;
  if (!timestamp) return { ok: false, failure: 'missing-timestamp' };
  const sentAt = Date.parse(timestamp);
  if (Number.isNaN(sentAt) || Math.abs(now.getTime() - sentAt) > SIGNED_TIMESTAMP_TOLERANCE_MS) return { ok: false, failure: 'stale-timestamp' };

  const expected = signatureBytes(credentials.applicationSecret, { ...request, timestamp });
  const given = Buffer.from(signature, 'base64');
  // Buffer.from ignores what is not base64, so also require the text to round-trip.
  if (given.length !== expected.length || given.toString('base64') !== signature || !timingSafeEqual(given, expected)) {
    return { ok: false, failure: 'bad-signature' };
  }
  return { ok: true };
}
