import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CallsModule } from '../calls/calls.module';
import { leaseSchema } from '../database/lease';
import { EVENT_RELAY_LEASE, EventRelay } from './event-relay.service';
import { EventHead, EventHeadSchema, FeedEvent, FeedEventSchema } from './event.schema';
import { EventStreams } from './event-streams.service';
import { EventTails } from './event-tail.service';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { StreamAuthGuard } from './stream-auth.guard';
import { StreamTicket, StreamTicketRedemption, StreamTicketRedemptionSchema, StreamTicketSchema } from './stream-ticket.schema';
import { StreamTickets } from './stream-tickets.service';

/**
 * Every change to a call, as a feed and as a live stream: the relay moves the calls' outboxes to the feed, the
 * controller pages it, and each organization's tail feeds this process's streams.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: FeedEvent.name, schema: FeedEventSchema },
      { name: EventHead.name, schema: EventHeadSchema },
      { name: EVENT_RELAY_LEASE, schema: leaseSchema('event_relay_leases', String) },
      { name: StreamTicket.name, schema: StreamTicketSchema },
      { name: StreamTicketRedemption.name, schema: StreamTicketRedemptionSchema },
    ]),
    CallsModule,
  ],
  controllers: [EventsController],
  providers: [EventsService, EventRelay, EventTails, EventStreams, StreamTickets, StreamAuthGuard],
  // For the webhooks' fan-out: it reads the feed as a reader does, and hears when this process relayed.
  exports: [EventsService, EventRelay],
})
export class EventsModule {}
