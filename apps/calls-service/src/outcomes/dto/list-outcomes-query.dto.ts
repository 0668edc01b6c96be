import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ID_CURSOR } from '../../common/cursor';
import { MAX_PAGE_SIZE, PageSize } from '../../common/page-size.decorator';

/** An organization has a handful of outcomes: one full page holds them all unless it asks for less. */
export const OUTCOMES_PAGE_SIZE = MAX_PAGE_SIZE;

export class ListOutcomesQueryDto {
  @ApiPropertyOptional({ default: OUTCOMES_PAGE_SIZE })
  @PageSize()
  limit: number = OUTCOMES_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: ID_CURSOR.source })
  @IsOptional()
  @IsString()
  @Matches(ID_CURSOR, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
