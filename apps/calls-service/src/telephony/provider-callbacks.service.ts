import { BadRequestException, Injectable } from '@nestjs/common';
import { isTerminal } from '../call-model/call-status';
import { CallEventsService } from '../calls/call-events.service';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { adapterNamed } from './webhook-signature.guard';

/**
 * A provider callback whose signature was verified: the provider's adapter parses it, the calls module
 * keeps and applies the event, and the adapter words the answer.
 */
@Injectable()
export class ProviderCallbacksService {
  constructor(
    private readonly providers: CallProviderRegistry,
    private readonly callEvents: CallEventsService,
  ) {}

  /** Handles the callback and returns the provider's answer. */
  async handle(providerName: string, body: unknown, requestId: string): Promise<object> {
    const provider = adapterNamed(this.providers, providerName);
    const parsed = provider.parseEvent(body, new Date());
    if (parsed.outcome === 'invalid') throw new BadRequestException(parsed.message);
    if (parsed.outcome === 'ignored') return provider.answer(null, null);
    const call = await this.callEvents.receive(parsed.event, requestId);
    // A call that has already ended, or that we cannot tie to this provider call, must not be connected.
    const proceed = call !== null && !isTerminal(call.status);
    return provider.answer(parsed.event, proceed ? { to: call.to, from: call.from } : null);
  }
}
