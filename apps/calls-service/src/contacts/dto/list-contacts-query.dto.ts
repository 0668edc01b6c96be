import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ID_CURSOR } from '../../common/cursor';

export class ListContactsQueryDto {
  @ApiPropertyOptional({ description: 'Words to find in the name, email, company or phone numbers (all words must match).', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ description: 'Page size.', type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: ID_CURSOR.source })
  @IsOptional()
  @IsString()
  @Matches(ID_CURSOR, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
