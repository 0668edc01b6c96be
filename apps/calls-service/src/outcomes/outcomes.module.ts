import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutcomesController } from './outcomes.controller';
import { OutcomesService } from './outcomes.service';
import { Outcome, OUTCOME_LOCK, OutcomeLockSchema, OutcomeSchema } from './schemas/outcome.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Outcome.name, schema: OutcomeSchema },
      { name: OUTCOME_LOCK, schema: OutcomeLockSchema },
    ]),
  ],
  controllers: [OutcomesController],
  providers: [OutcomesService],
  // The calls module checks the outcome a call is given, and tells this one whether calls have an outcome.
  exports: [OutcomesService],
})
export class OutcomesModule {}
