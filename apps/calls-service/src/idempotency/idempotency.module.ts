import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { IdempotencyService } from './idempotency.service';
import { IDEMPOTENCY_LEASE, IdempotencyKey, IdempotencyKeySchema, IdempotencyLeaseSchema } from './schemas/idempotency-key.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: IdempotencyKey.name, schema: IdempotencyKeySchema },
      { name: IDEMPOTENCY_LEASE, schema: IdempotencyLeaseSchema },
    ]),
  ],
  providers: [IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
