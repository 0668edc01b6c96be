import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'HealthResponse', description: 'The result of the health checks, in the shape of @nestjs/terminus.' })
export class HealthResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: 'ok';

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The checks that passed, by name.', example: { database: { status: 'up' } } })
  info!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The checks that failed, by name; empty in a 200.', example: {} })
  error!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Every check, by name.', example: { database: { status: 'up' } } })
  details!: Record<string, unknown>;
}
