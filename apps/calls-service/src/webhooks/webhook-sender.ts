import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LookupFunction } from 'node:net';
import { PinnedAddress } from './webhook-url';

export const USER_AGENT = 'calls-service-webhooks/1.0';

/** What one attempt came to: the receiver's status, or why none came. */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs the body to the URL, connecting to the address that was checked rather than resolving the host again
 * (a second DNS answer could point elsewhere: rebinding). TLS still verifies the certificate against the URL's
 * host name. The status line decides; the body of the answer is not read. Fresh connection per attempt, so
 * that no pooled socket to an old address is reused.
 */
export function postWebhook(
  url: URL,
  pinned: PinnedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  /** The time-out the attempt as a whole had (WEBHOOK_TIMEOUT_MS), which the error names: `timeoutMs` is what was left of it. */
  attemptTimeoutMs = timeoutMs,
): Promise<SendResult> {
  const started = Date.now();
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (statusCode: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ statusCode, error, durationMs: Date.now() - started });
    };
    const req = send(
      url,
      {
        method: 'POST',
        agent: false,
        lookup,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res: IncomingMessage) => {
        settle(res.statusCode ?? null, null);
        res.destroy();
        req.destroy();
      },
    );
    const timer = setTimeout(() => {
      settle(null, `no answer within ${attemptTimeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => settle(null, describeError(error)));
    req.end(body);
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  const code = error.code ? `${error.code}: ` : '';
  return `${code}${error.message}`.slice(0, 300);
}
