import { applyDecorators, SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'auth:isPublic';

function removeSecurityRequirement(method: object): void {
  const operation: object = Reflect.getMetadata(DECORATORS.API_OPERATION, method) ?? {};
  Reflect.defineMetadata(DECORATORS.API_OPERATION, { ...operation, security: [] }, method);
}

/**
 * Adds `security: []` to whatever operation metadata a method has or will get (on a class: to each of
 * its methods). `ApiOperation` itself cannot: with `overrideExisting` it would reset the summary, and
 * without it, it does nothing once an `@ApiOperation` placed below has run. Merging works in either order.
 */
function NoSecurityRequirement(target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void {
  if (descriptor) {
    removeSecurityRequirement(descriptor.value as object);
    return;
  }
  const prototype = (target as { prototype: Record<string, unknown> }).prototype;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const member = prototype[name];
    if (name !== 'constructor' && typeof member === 'function') removeSecurityRequirement(member);
  }
}

/**
 * Opts a route, or every route of a controller, out of the global bearer guard, and out of the
 * document's global security requirement, so Swagger UI sends no token where none is needed.
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), NoSecurityRequirement as MethodDecorator & ClassDecorator);

/**
 * Skips the global bearer guard for a route that authenticates its callers with a guard of its own (such
 * as the event stream, which also takes a ticket in its URL); the route's `@ApiSecurity` says how, and
 * the document's security stays as the route declares it.
 */
export const AuthenticatedByRoute = (): MethodDecorator => SetMetadata(IS_PUBLIC_KEY, true);
