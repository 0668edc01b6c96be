import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { TimedCallFiltersDto } from './list-calls-query.dto';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportCallsQueryDto extends TimedCallFiltersDto {
  @ApiPropertyOptional({
    description: '`csv` (RFC 4180, a header row, for spreadsheets) or `ndjson` (one Call per line, as GET /api/calls/{id} answers it).',
    enum: EXPORT_FORMATS,
    default: 'csv',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: ExportFormat = 'csv';
}
