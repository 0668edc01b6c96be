import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** The `limit` query parameter every list shares: a whole number of items per page. */
export const PageSize = (): PropertyDecorator =>
  // Listed in the order stacked decorators would apply (bottom first), so validation messages keep their order.
  applyDecorators(
    Max(MAX_PAGE_SIZE),
    Min(1),
    IsInt(),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value)),
    ApiPropertyOptional({ description: 'Page size.', type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
  );
