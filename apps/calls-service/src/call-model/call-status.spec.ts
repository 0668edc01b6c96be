import fc from 'fast-check';
import { CALL_STATUSES, CallStatus, isTerminal, rankOf, transition } from './call-status';

const TERMINALS: CallStatus[] = ['completed', 'busy', 'no-answer', 'canceled', 'failed'];

describe('transition', () => {
  it.each<[CallStatus, CallStatus, 'stay' | 'move' | 'conflict']>([
    ['initiated', 'initiated', 'stay'],
    ['initiated', 'ringing', 'move'],
    ['initiated', 'in-progress', 'move'],
    ['initiated', 'completed', 'move'],
    ['initiated', 'failed', 'move'],
    ['ringing', 'ringing', 'stay'],
    ['ringing', 'in-progress', 'move'],
    ['ringing', 'no-answer', 'move'],
    ['ringing', 'initiated', 'conflict'],
    ['in-progress', 'in-progress', 'stay'],
    ['in-progress', 'completed', 'move'],
    ['in-progress', 'canceled', 'conflict'],
    ['in-progress', 'no-answer', 'conflict'],
    ['in-progress', 'busy', 'conflict'],
    ['in-progress', 'failed', 'move'],
    ['in-progress', 'ringing', 'conflict'],
    ['in-progress', 'initiated', 'conflict'],
    ['completed', 'completed', 'stay'],
    ['completed', 'failed', 'conflict'],
    ['completed', 'in-progress', 'conflict'],
    ['busy', 'busy', 'stay'],
    ['busy', 'no-answer', 'conflict'],
    ['failed', 'initiated', 'conflict'],
  ])('%s → %s is %s', (from, to, kind) => {
    expect(transition(from, to).kind).toBe(kind);
  });

  it('says why a move backwards is refused', () => {
    expect(transition('in-progress', 'ringing')).toEqual({ kind: 'conflict', message: 'The call is already in-progress; it cannot go back to ringing' });
    expect(transition('completed', 'busy')).toEqual({ kind: 'conflict', message: 'The call has already ended as completed; it cannot become busy' });
  });

  it('ranks every terminal status last and the others in order', () => {
    expect(['initiated', 'ringing', 'in-progress'].map((status) => rankOf(status as CallStatus))).toEqual([0, 1, 2]);
    expect(TERMINALS.every((status) => isTerminal(status) && rankOf(status) === 3)).toBe(true);
    expect(CALL_STATUSES.filter(isTerminal)).toEqual(TERMINALS);
  });

  it('never lets any sequence of reports move a call backwards or change how it ended', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CALL_STATUSES), { maxLength: 30 }), (reports) => {
        let status: CallStatus = 'initiated';
        let ended: CallStatus | null = null;
        for (const report of reports) {
          const result = transition(status, report);
          const next: CallStatus = result.kind === 'move' ? result.to : status;
          expect(rankOf(next)).toBeGreaterThanOrEqual(rankOf(status));
          if (ended) expect(next).toBe(ended);
          if (isTerminal(next)) ended = next;
          status = next;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
