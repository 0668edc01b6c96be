import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { CallProviderRegistry } from '../providers/call-provider.registry';

interface CallbackRequest {
  method: string;
  url: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  params: { provider?: string };
  /** Kept by the JSON body parser (NestFactory's `rawBody: true`): the signature covers the bytes as sent. */
  rawBody?: Buffer;
}

/** Lets a provider callback through only when the provider's signature on it checks out; 401 otherwise. */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(private readonly providers: CallProviderRegistry) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<CallbackRequest>();
    const provider = this.providers.get(request.params.provider ?? '');
    const verification = provider.verifyRequest(
      { method: request.method, path: (request.originalUrl ?? request.url).split('?')[0], headers: request.headers, rawBody: request.rawBody },
      new Date(),
    );
    if (!verification.ok) throw new UnauthorizedException(verification.reason);
    return true;
  }
}
