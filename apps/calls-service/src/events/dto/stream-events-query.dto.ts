import { ApiHideProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ListEventsQueryDto } from './list-events-query.dto';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

export class StreamEventsQueryDto extends PickType(ListEventsQueryDto, ['after', 'type', 'callId'] as const) {
  @ApiPropertyOptional({ description: 'Only events of this user\'s calls: the dialer watches its own user\'s.', pattern: OBJECT_ID.source })
  @IsOptional()
  @IsString()
  @Matches(OBJECT_ID, { message: 'userId must be a 24-character hexadecimal id' })
  userId?: string;

  /** Read by the stream's guard; documented as the operation's `streamTicket` security scheme, not as a filter. */
  @ApiHideProperty()
  @IsOptional()
  @IsString()
  ticket?: string;
}
