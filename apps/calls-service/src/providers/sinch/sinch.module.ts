import { Module } from '@nestjs/common';
import { SinchCallProvider } from './sinch.provider';

@Module({
  providers: [SinchCallProvider],
  exports: [SinchCallProvider],
})
export class SinchModule {}
