import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Environment } from '../../config/environment';
import { CallEvent } from '../../call-model/call-event';
import { CallFacts, CallProviderAdapter, ParsedEvent, SdkToken, WebhookRequest, WebhookVerification } from '../call-provider';
import { parseSinchEvent, SINCH, sinchAnswer } from './sinch-events';
import { SinchCredentials, verify, VerificationFailure } from './sinch-signature';
import { createRegistrationToken } from './sinch-token';

const REASONS: Record<VerificationFailure, string> = {
  'missing-authorization': 'Missing Sinch signature',
  'malformed-authorization': 'The Authorization header is not a Sinch signature',
  'wrong-key': 'The request is signed for another Sinch application',
  'bad-signature': 'Invalid Sinch signature',
  'missing-timestamp': 'Missing x-timestamp header',
  'stale-timestamp': 'The x-timestamp is more than 5 minutes from now',
};

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Sinch Voice: signed callbacks, SVAML answers and in-app calling SDK tokens. */
@Injectable()
export class SinchCallProvider implements CallProviderAdapter {
  readonly name = SINCH;
  private readonly credentials: SinchCredentials;

  constructor(config: ConfigService<Environment, true>) {
    this.credentials = {
      applicationKey: config.get('SINCH_APPLICATION_KEY', { infer: true }),
      applicationSecret: config.get('SINCH_APPLICATION_SECRET', { infer: true }),
    };
  }

  verifyRequest(request: WebhookRequest, now: Date): WebhookVerification {
    const verification = verify(
      this.credentials,
      single(request.headers.authorization),
      {
        method: request.method,
        path: request.path,
        // Signed as sent, so it is not normalised; a request without one cannot have been signed by Sinch with one.
        contentType: single(request.headers['content-type']) ?? '',
        timestamp: single(request.headers['x-timestamp']),
        body: request.rawBody ?? Buffer.alloc(0),
      },
      now,
    );
    return verification.ok ? verification : { ok: false, reason: REASONS[verification.failure] };
  }

  parseEvent(body: unknown, receivedAt: Date): ParsedEvent {
    return parseSinchEvent(body, receivedAt);
  }

  answer(event: CallEvent | null, call: CallFacts | null): object {
    return sinchAnswer(event, call);
  }

  createSdkToken(userId: string, now: Date): SdkToken {
    const { token, expiresAt } = createRegistrationToken(this.credentials, userId, now);
    return { token, expiresAt, applicationKey: this.credentials.applicationKey, userId };
  }
}
