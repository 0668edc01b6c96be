import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ID_CURSOR } from '../../common/cursor';
import { DEFAULT_PAGE_SIZE, PageSize } from '../../common/page-size.decorator';
import { NO_NUL } from '../../common/text';

export class ListContactsQueryDto {
  @ApiPropertyOptional({ description: 'Words to find in the name, email, company or phone numbers (all words must match).', maxLength: 100, pattern: NO_NUL.source })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @PageSize()
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', pattern: ID_CURSOR.source })
  @IsOptional()
  @IsString()
  @Matches(ID_CURSOR, { message: 'cursor is not a cursor this service issued' })
  cursor?: string;
}
