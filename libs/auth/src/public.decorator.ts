import { applyDecorators, SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'auth:isPublic';

/**
 * Adds `security: []` to whatever operation metadata a method has or will get. `ApiOperation` itself
 * cannot: with `overrideExisting` it would reset the summary, and without it, it does nothing once an
 * `@ApiOperation` placed below has run. Merging works in either order.
 */
const NoSecurityRequirement: MethodDecorator = (_target, _key, descriptor) => {
  const operation: object = Reflect.getMetadata(DECORATORS.API_OPERATION, descriptor.value as object) ?? {};
  Reflect.defineMetadata(DECORATORS.API_OPERATION, { ...operation, security: [] }, descriptor.value as object);
  return descriptor;
};

/**
 * Opts a route out of the global bearer guard, and out of the document's global security
 * requirement, so Swagger UI sends no token where none is needed.
 */
export const Public = (): MethodDecorator => applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), NoSecurityRequirement);
