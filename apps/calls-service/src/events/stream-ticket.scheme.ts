import { DocumentBuilder } from '@nestjs/swagger';

/** The security scheme of the event stream's `?ticket=`, declared next to the guard that redeems it. */
export const STREAM_TICKET_SCHEME = 'streamTicket';

/** Declares the ticket scheme in the document; only the stream's operation lists it (StreamAuthGuard enforces it). */
export function addStreamTicketAuth(builder: DocumentBuilder): DocumentBuilder {
  return builder.addSecurity(STREAM_TICKET_SCHEME, {
    type: 'apiKey',
    in: 'query',
    name: 'ticket',
    description: 'A single-use ticket from `POST /api/events/stream-tickets`, accepted by `GET /api/events/stream` only.',
  });
}
