import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'FieldError', description: 'One problem with one field of the request.' })
export class FieldErrorDto {
  @ApiProperty({ description: 'Path of the offending field, such as `phoneNumber` or `phoneNumbers.1`.', example: 'phoneNumber' })
  field!: string;

  @ApiProperty({
    description: 'What is wrong with it.',
    example: 'phoneNumber must be a valid phone number in E.164 format, such as +14165550199',
  })
  message!: string;
}

@ApiSchema({ name: 'ErrorResponse', description: 'The one shape of every error answer.' })
export class ErrorResponseDto {
  @ApiProperty({ enum: [false], example: false })
  success!: false;

  @ApiProperty({ description: 'The HTTP status code, repeated.', type: 'integer', minimum: 400, maximum: 599, example: 400 })
  statusCode!: number;

  @ApiProperty({ description: 'The short name of the status.', example: 'Bad Request' })
  error!: string;

  @ApiProperty({ description: 'What went wrong, for a person to read.', example: 'contactId or phoneNumber is required' })
  message!: string;

  @ApiPropertyOptional({ description: 'Field problems, for validation errors.', type: [FieldErrorDto] })
  details?: FieldErrorDto[];
}
