import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CallsModule } from '../calls/calls.module';
import { leaseSchema } from '../database/lease';
import { EVENT_RELAY_LEASE, EventRelay } from './event-relay.service';
import { EventHead, EventHeadSchema, FeedEvent, FeedEventSchema } from './event.schema';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

/** Every change to a call, as a feed: the relay moves the calls' outboxes to it, the controller pages it. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: FeedEvent.name, schema: FeedEventSchema },
      { name: EventHead.name, schema: EventHeadSchema },
      { name: EVENT_RELAY_LEASE, schema: leaseSchema('event_relay_leases', String) },
    ]),
    CallsModule,
  ],
  controllers: [EventsController],
  providers: [EventsService, EventRelay],
  // For the webhooks' fan-out: it reads the feed as a reader does, and hears when this process relayed.
  exports: [EventsService, EventRelay],
})
export class EventsModule {}
