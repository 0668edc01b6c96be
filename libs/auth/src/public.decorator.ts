import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';

export const IS_PUBLIC_KEY = 'auth:isPublic';

/**
 * Opts a route out of the global bearer guard, and out of the document's global security
 * requirement, so Swagger UI sends no token where none is needed.
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiOperation({ security: [] }, { overrideExisting: false }));
