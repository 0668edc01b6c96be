import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { bearerTokenExpiry, JWT_VERIFICATION, JwtVerification, requestBearerUser } from '@app/auth';
import { StreamTickets, TicketHolder } from './stream-tickets.service';

interface StreamRequest {
  headers: { authorization?: string };
  query: unknown;
  user?: TicketHolder;
}

/**
 * The event stream's own authentication (the global bearer guard skips the route): a `?ticket=` from
 * `POST /api/events/stream-tickets`, redeemed here once, or the bearer header as on every other route. With
 * both, the ticket must be the bearer's own. The caller's `until` is when the stream must end: the token's expiry.
 */
@Injectable()
export class StreamAuthGuard implements CanActivate {
  constructor(
    @Inject(JWT_VERIFICATION) private readonly verification: JwtVerification,
    private readonly tickets: StreamTickets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<StreamRequest>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    const bearer = request.headers.authorization === undefined ? undefined : requestBearerUser(this.verification, request);
    if (request.headers.authorization !== undefined && !bearer) throw new UnauthorizedException('Invalid or expired bearer token');
    if (query.ticket !== undefined) {
      if (typeof query.ticket !== 'string') throw new UnauthorizedException('Invalid, expired or already used stream ticket');
      const holder = await this.tickets.redeem(query.ticket);
      if (bearer && (bearer.organizationId !== holder.organizationId || bearer.userId !== holder.userId)) {
        throw new UnauthorizedException('The stream ticket belongs to another user');
      }
      request.user = holder;
      return true;
    }
    if (!bearer) throw new UnauthorizedException('Missing bearer token or stream ticket');
    request.user = { ...bearer, until: bearerTokenExpiry(request.headers.authorization) ?? new Date() };
    return true;
  }
}

/** The caller StreamAuthGuard let in, with when its stream must end. */
export const StreamCaller = createParamDecorator((_data: unknown, context: ExecutionContext): TicketHolder => context.switchToHttp().getRequest<StreamRequest>().user as TicketHolder);
