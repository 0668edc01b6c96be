import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { MAX_PAGE_SIZE, PageSize } from '../../common/page-size.decorator';
import { NUMBER_CURSOR } from '../../common/cursor';

/**
 * The list answered every number before it had pages, and a client that ignores `nextCursor` still
 * gets every number of any organization that fits one full page.
 */
export const PHONE_NUMBERS_PAGE_SIZE = MAX_PAGE_SIZE;

export class ListPhoneNumbersQueryDto {
  @ApiPropertyOptional({ default: PHONE_NUMBERS_PAGE_SIZE })
  @PageSize()
  limit: number = PHONE_NUMBERS_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: NUMBER_CURSOR.source })
  @IsOptional()
  @IsString()
  @Matches(NUMBER_CURSOR, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
