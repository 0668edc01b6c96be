import { applyDecorators, CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthUser } from './auth-user';

export const REQUIRED_ROLE_KEY = 'auth:requiredRole';

/** Lets a route through only for a token whose `role` claim names the route's role. */
@Injectable()
export class RoleGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_ROLE_KEY, [context.getHandler(), context.getClass()]);
    if (!role) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user?.role !== role) throw new ForbiddenException(`Only a user with the ${role} role may do this`);
    return true;
  }
}

/** Runs after the bearer guard, so the user is known; anyone else gets 403. */
export const RequireRole = (role: string): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(REQUIRED_ROLE_KEY, role), UseGuards(RoleGuard));
