import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { Model } from 'mongoose';
import { AuthUser, bearerTokenExpiry } from '@app/auth';
import { Occasionally } from '../common/occasionally';
import { insertUnique } from '../database/unique-insert';
import { StreamTicket, StreamTicketRedemption } from './stream-ticket.schema';

/** How long a ticket may wait to be redeemed: long enough to open a stream, short enough to be worthless in a log. */
export const TICKET_TTL_MS = 60_000;
/** 32 random bytes, base64url: what a ticket looks like. */
export const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Expired tickets and their redemptions are purged this long after they expire, at most this often per process. */
const PURGE_GRACE_MS = 60_000;
const PURGE_EVERY_MS = 60_000;

/** Who a redeemed ticket lets in, and until when. */
export interface TicketHolder extends AuthUser {
  until: Date;
}

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/**
 * Single-use tickets for opening an event stream without an Authorization header. A ticket is bound to the
 * user and organization of the token that asked for it and to that token's expiry; it is redeemable once,
 * within TICKET_TTL_MS, on any replica.
 */
@Injectable()
export class StreamTickets {
  private readonly logger = new Logger(StreamTickets.name);
  private readonly purges = new Occasionally(PURGE_EVERY_MS);

  constructor(
    @InjectModel(StreamTicket.name) private readonly tickets: Model<StreamTicket>,
    @InjectModel(StreamTicketRedemption.name) private readonly redemptions: Model<StreamTicketRedemption>,
  ) {}

  /** A ticket for the user whose (already verified) Authorization header this is. */
  async issueFor(user: AuthUser, authorization: string | undefined): Promise<{ ticket: string; expiresAt: Date }> {
    const tokenExpiresAt = bearerTokenExpiry(authorization);
    // The bearer guard refuses tokens without exp, so this is only a type's worry.
    if (!tokenExpiresAt) throw new UnauthorizedException('Token has no exp (expiry) claim');
    this.purgeExpiredSometimes();
    const ticket = randomBytes(32).toString('base64url');
    // Never outliving the token: a ticket must not stretch what the token that asked for it allows.
    const expiresAt = new Date(Math.min(Date.now() + TICKET_TTL_MS, tokenExpiresAt.getTime()));
    await this.tickets.create({ _id: hashOf(ticket), organizationId: user.organizationId, userId: user.userId, expiresAt, tokenExpiresAt });
    return { ticket, expiresAt };
  }

  /** The ticket's holder; 401 for a ticket that is unknown, expired or already used. */
  async redeem(ticket: string): Promise<TicketHolder> {
    const refused = new UnauthorizedException('Invalid, expired or already used stream ticket');
    if (!TICKET_PATTERN.test(ticket)) throw refused;
    const hash = hashOf(ticket);
    const stored = await this.tickets.findById(hash).lean<StreamTicket>();
    if (!stored || stored.expiresAt.getTime() <= Date.now()) throw refused;
    if (!(await insertUnique(this.redemptions, { _id: hash, expiresAt: stored.expiresAt }))) throw refused;
    return { organizationId: stored.organizationId, userId: stored.userId, until: stored.tokenExpiresAt };
  }

  /** Tickets are worthless once expired; what is left of them goes a while later, whoever's they were. */
  private purgeExpiredSometimes(): void {
    if (!this.purges.due()) return;
    const before = new Date(Date.now() - PURGE_GRACE_MS);
    // Background work across organizations, which the request that happened to be due only sets off: its line names no request.
    Promise.all([this.tickets.deleteMany({ expiresAt: { $lt: before } }), this.redemptions.deleteMany({ expiresAt: { $lt: before } })])
      .catch((error: unknown) => this.logger.warn(`Could not purge expired stream tickets: ${String(error)}`));
  }
}
