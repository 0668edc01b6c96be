import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'SdkTokenResponse', description: 'What the in-app calling SDK needs to register the user.' })
export class SdkTokenResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ description: 'The registration JWT to hand to the SDK in `onCredentialsRequired`.', example: 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImhrZGZ2MS0yMDI2MTEyNyJ9.e30.c2ln' })
  token!: string;

  @ApiProperty({ description: 'When the token stops being accepted (ISO-8601, UTC); ask again after.', format: 'date-time', example: '2026-11-27T10:10:00.000Z' })
  expiresAt!: string;

  @ApiProperty({ description: 'The Sinch application key to build the SinchClient with.', example: '669e367e-6bba-48ab-af15-266871c28135' })
  applicationKey!: string;

  @ApiProperty({
    description:
      'The Sinch user id to build the SinchClient with: `<organizationId>-<userId>` of the caller. Sinch names it as the caller ' +
      'in its ICE, and the service connects a call only for the call\'s own user.',
    pattern: '^[0-9a-f]{24}-[0-9a-f]{24}$',
    example: '64f0a1b2c3d4e5f6a7b8c000-64f0a1b2c3d4e5f6a7b8c001',
  })
  userId!: string;
}
