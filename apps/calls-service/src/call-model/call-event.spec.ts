import fc from 'fast-check';
import { byCallLifeOrder, CALL_EVENT_KINDS, CallEventKind } from './call-event';

describe('byCallLifeOrder', () => {
  const at = (kind: CallEventKind, seconds: number) => ({ kind, occurredAt: new Date(Date.UTC(2026, 10, 27, 10, 0, seconds)) });

  it('puts the answer before the end even when the end came first, and recordings last', () => {
    const arrived = [at('recording', 1), at('ended', 2), at('answered', 3), at('placed', 4)];

    expect([...arrived].sort(byCallLifeOrder).map((event) => event.kind)).toEqual(['placed', 'answered', 'ended', 'recording']);
  });

  it('keeps events of one kind in time order', () => {
    expect([at('recording', 9), at('recording', 3)].sort(byCallLifeOrder).map((event) => event.occurredAt.getUTCSeconds())).toEqual([3, 9]);
  });

  it('gives the same order whatever order the events arrived in', () => {
    const event = fc.record({ kind: fc.constantFrom(...CALL_EVENT_KINDS), occurredAt: fc.date({ noInvalidDate: true }) });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const once = [...events].sort(byCallLifeOrder);
        const again = [...events].reverse().sort(byCallLifeOrder);
        expect(again.map((e) => [e.kind, e.occurredAt.getTime()])).toEqual(once.map((e) => [e.kind, e.occurredAt.getTime()]));
      }),
    );
  });
});
