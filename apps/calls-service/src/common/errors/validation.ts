import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { containsNul } from '../text';
import { FieldErrorDto } from './error-response.dto';

function flatten(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * ValidationPipe validates a missing or null body as `{}`: a PATCH without a body would be a
 * successful no-op rather than the 400 the contract promises for a required body.
 */
class RequestValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (value === undefined || value === null)) {
      throw new BadRequestException('The request body must be a JSON object');
    }
    // Only typed bodies and queries, the API's own fields: a provider callback is read tolerantly.
    if (this.toValidate(metadata) && containsNul(value)) {
      const where = metadata.type === 'query' ? 'Query parameters' : 'Text in the request body';
      throw new BadRequestException(`${where} must not contain the NUL character (\\u0000)`);
    }
    return super.transform(value, metadata);
  }
}

/** Field problems become one 400 in the one error shape, listing every problem. */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.length > 0 ? details.map((detail) => detail.message).join('; ') : 'Invalid request';
      return new BadRequestException({ message, details });
    },
  });
}
