import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { CallDto } from './call.dto';

@ApiSchema({ name: 'InitiateCallResponse' })
export class InitiateCallResponseDto {
  @ApiProperty({ enum: [true], example: true })
  success!: true;

  @ApiProperty({ type: CallDto })
  call!: CallDto;

  @ApiProperty({ example: 'Call recorded' })
  message!: string;
}
