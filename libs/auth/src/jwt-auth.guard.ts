import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DocumentBuilder } from '@nestjs/swagger';
import { AuthUser } from './auth-user';
import { alreadyVerifiedUser } from './bearer-user';
import { IS_PUBLIC_KEY } from './public.decorator';

export const BEARER_SCHEME = 'bearer';

/**
 * Declares in the OpenAPI document exactly what this guard enforces: every operation needs a
 * bearer token unless it is marked `@Public()`.
 */
export function addBearerAuth(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addSecurityRequirements(BEARER_SCHEME);
}

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    // The rate limit ran first and verified this very header with the same checks (requestBearerUser):
    // take its user, as passport would have set it, rather than check the signature twice. Anything
    // else, a bad token included, goes through passport, which words the 401.
    const request = context.switchToHttp().getRequest<{ user?: AuthUser }>();
    const user = alreadyVerifiedUser(request);
    if (user) {
      request.user = user;
      return true;
    }
    return super.canActivate(context);
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error instanceof UnauthorizedException) throw error;
    if (error || !user) throw new UnauthorizedException(describeFailure(info));
    return user;
  }
}

function describeFailure(info: unknown): string {
  if (info instanceof Error) {
    if (info.name === 'TokenExpiredError') return 'Token has expired';
    if (info.message === 'No auth token') return 'Missing bearer token';
  }
  return 'Invalid bearer token';
}
