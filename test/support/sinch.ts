import request from 'supertest';
import { authorizationHeader, SinchCredentials } from '../../apps/calls-service/src/providers/sinch/sinch-signature';
import { RunningApp, TEST_SINCH } from './app';

export const SINCH_WEBHOOK = '/api/calls/webhooks/sinch';
/** The path as openapi.yaml names it, for expectContract. */
export const WEBHOOK_OPERATION = '/api/calls/webhooks/{provider}';

export interface SigningOptions {
  credentials?: SinchCredentials;
  /** x-timestamp; now by default. */
  timestamp?: string;
  contentType?: string;
  /** The path the signature covers, when it should differ from the one requested. */
  signedPath?: string;
  /** The body the signature covers, when it should differ from the one sent. */
  signedBody?: string;
}

/** Posts a callback to the running service the way Sinch does: raw JSON, signed. */
export function sendCallback(app: RunningApp, body: object | string, options: SigningOptions = {}, path = SINCH_WEBHOOK) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = options.contentType ?? 'application/json';
  const timestamp = options.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const authorization = authorizationHeader(options.credentials ?? TEST_SINCH, {
    method: 'POST',
    path: options.signedPath ?? path,
    contentType,
    timestamp,
    body: Buffer.from(options.signedBody ?? raw),
  });
  return request(app.url).post(path).set('Content-Type', contentType).set('x-timestamp', timestamp).set('Authorization', authorization).send(raw);
}

/** An event time `seconds` after `start` (an ISO date, such as a call's startTime). */
export const after = (start: string, seconds: number): string => new Date(Date.parse(start) + seconds * 1000).toISOString();

const callHeaders = (callId?: string) => (callId ? { callHeaders: [{ key: 'x-call-id', value: callId }] } : {});

/** A call as initiate answers it: what the dialer hands the SDK. */
export interface PlacedCall {
  _id: string;
  callToken: string | null;
  organizationId: string;
  userId: string;
}

/** The Sinch user id the SDK registers with, as `/api/calls/sdk/token` gives it. */
export const sdkUser = (organizationId: string, userId: string): string => `${organizationId}-${userId}`;

/**
 * An ICE as Sinch sends it for an in-app call the dialer placed as the README says: with the call's id and
 * token as call headers, from the call's own Sinch user (override `user` or `callHeaders` to forge one).
 */
export const ice = (callid: string, call?: PlacedCall, timestamp = new Date().toISOString()) => ({
  event: 'ice',
  callid,
  timestamp,
  version: 1,
  user: call ? sdkUser(call.organizationId, call.userId) : 'someone',
  cli: '+14165550100',
  to: { type: 'number', endpoint: '+14165550199' },
  domain: 'pstn',
  originationType: 'MXP',
  applicationKey: TEST_SINCH.applicationKey,
  ...(call
    ? {
        callHeaders: [
          { key: 'x-call-id', value: call._id },
          { key: 'x-call-token', value: call.callToken },
        ],
      }
    : {}),
});

export const ace = (callid: string, timestamp = new Date().toISOString(), callId?: string) => ({
  event: 'ace',
  callid,
  timestamp,
  version: 1,
  applicationKey: TEST_SINCH.applicationKey,
  ...callHeaders(callId),
});

export const dice = (callid: string, fields: Record<string, unknown> = {}) => ({
  event: 'dice',
  callid,
  timestamp: new Date().toISOString(),
  reason: 'CALLEEHANGUP',
  result: 'ANSWERED',
  duration: 2,
  debit: { currencyId: 'USD', amount: 0.0125 },
  userRate: { currencyId: 'USD', amount: 0.0125 },
  version: 1,
  applicationKey: TEST_SINCH.applicationKey,
  ...fields,
});

export const notify = (callid: string, type: string, destination: string) => ({ event: 'notify', callid, type, destination, version: 1 });
