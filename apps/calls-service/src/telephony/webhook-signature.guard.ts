import { CanActivate, ExecutionContext, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { RateLimitGuard } from '../common/rate-limit/rate-limit.guard';
import { CallProviderAdapter } from '../providers/call-provider';
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

/**
 * Lets a provider callback through only when the provider's signature on it checks out; 401 otherwise,
 * and 429 once the sender's address has spent the budget of requests without a valid token.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    private readonly providers: CallProviderRegistry,
    private readonly rateLimit: RateLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<CallbackRequest>();
    const provider = adapterNamed(this.providers, request.params.provider ?? '');
    const verification = provider.verifyRequest(
      { method: request.method, path: (request.originalUrl ?? request.url).split('?')[0], headers: request.headers, rawBody: request.rawBody },
      new Date(),
    );
    if (!verification.ok) {
      await this.rateLimit.spendAddressBudget(context);
      throw new UnauthorizedException(verification.reason);
    }
    return true;
  }
}

/** The adapter the webhook path names; 404 when the service has none of that name. */
export function adapterNamed(providers: CallProviderRegistry, name: string): CallProviderAdapter {
  const adapter = providers.find(name);
  if (!adapter) throw new NotFoundException(`No call provider named ${name}`);
  return adapter;
}
