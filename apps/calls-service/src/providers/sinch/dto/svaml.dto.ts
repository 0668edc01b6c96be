import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

const ACTIONS = ['connectPstn', 'hangup', 'continue'] as const;

@ApiSchema({ name: 'SvamlAction', description: 'What Sinch should do with the call.' })
export class SvamlActionDto {
  @ApiProperty({
    description:
      '`connectPstn` answers an ICE for a recorded call, `hangup` an ICE for a call the service never recorded, `continue` an ACE.',
    enum: ACTIONS,
    example: 'connectPstn',
  })
  name!: (typeof ACTIONS)[number];

  @ApiPropertyOptional({ description: '`connectPstn`: the recorded destination, E.164.', example: '+14165550199' })
  number?: string;

  @ApiPropertyOptional({ description: '`connectPstn`: the caller ID to show, E.164.', example: '+14165550100' })
  cli?: string;
}

@ApiSchema({
  name: 'SvamlResponse',
  description: 'Sinch Voice Application Markup Language. DiCE, notifications and ignored events get no action.',
})
export class SvamlResponseDto {
  @ApiPropertyOptional({ type: SvamlActionDto })
  action?: SvamlActionDto;
}
