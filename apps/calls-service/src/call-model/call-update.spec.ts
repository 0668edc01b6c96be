import fc from 'fast-check';
import { CALL_STATUSES, isUnansweredEnd, isTerminal, rankOf } from './call-status';
import { CallReport, CallState, eventReport, MAX_REPORTED_TIME_AHEAD_MS, planCallUpdate, UpdatePlan } from './call-update';

const START = new Date('2026-11-27T10:00:00.000Z');
const NOW = new Date('2026-11-27T10:05:00.000Z');
const at = (seconds: number): Date => new Date(START.getTime() + seconds * 1000);

const call = (state: Partial<CallState> = {}): CallState => ({
  status: 'initiated',
  startTime: START,
  answerTime: null,
  endTime: null,
  duration: null,
  providerCallId: null,
  endReason: null,
  conversationId: null,
  ...state,
});

describe('planCallUpdate', () => {
  it.each<[string, Partial<CallState>, CallReport, object]>([
    ['moves forward one step', {}, { status: 'ringing' }, { status: 'ringing' }],
    ['skips steps', {}, { status: 'in-progress', answerTime: at(3) }, { status: 'in-progress', answerTime: at(3) }],
    [
      'ends an answered call with its duration in whole seconds',
      { status: 'in-progress', answerTime: at(3) },
      { status: 'completed', endTime: at(45.9) },
      { status: 'completed', endTime: at(45.9), duration: 42 },
    ],
    ['ends an unanswered call with no talk time', { status: 'ringing' }, { status: 'no-answer', endTime: at(30) }, { status: 'no-answer', endTime: at(30), duration: 0 }],
    ['ends a call now when no endTime is given', { status: 'in-progress', answerTime: at(60) }, { status: 'completed' }, { status: 'completed', endTime: NOW, duration: 240 }],
    ['changes nothing for the status the call already has', { status: 'ringing' }, { status: 'ringing' }, {}],
    ['changes nothing for the terminal status the call already has', { status: 'busy', endTime: at(5), duration: 0 }, { status: 'busy' }, {}],
    ['fills a providerCallId that arrives after the end', { status: 'completed', endTime: at(9), duration: 0 }, { providerCallId: 'p-1' }, { providerCallId: 'p-1' }],
    ['never overwrites a field that is set', { providerCallId: 'p-1', conversationId: 'c-1' }, { providerCallId: 'p-2', conversationId: 'c-2' }, {}],
    [
      'recomputes the duration when a late answerTime fills the gap',
      { status: 'completed', endTime: at(50), duration: 0 },
      { answerTime: at(20) },
      { answerTime: at(20), duration: 30 },
    ],
    ['keeps the stored endTime of a repeated end', { status: 'completed', answerTime: at(1), endTime: at(11), duration: 10 }, { status: 'completed', endTime: at(20) }, {}],
    ['takes an endReason with the end', { status: 'in-progress', answerTime: at(1) }, { status: 'failed', endTime: at(2), endReason: 'dropped' }, { status: 'failed', endTime: at(2), endReason: 'dropped', duration: 1 }],
    ['takes a conversationId at any time', {}, { conversationId: 'conv-1' }, { conversationId: 'conv-1' }],
    ['accepts a time within the allowed clock skew', { status: 'in-progress' }, { answerTime: new Date(NOW.getTime() + MAX_REPORTED_TIME_AHEAD_MS) }, { answerTime: new Date(NOW.getTime() + MAX_REPORTED_TIME_AHEAD_MS) }],
    ['ends no earlier than a future answerTime within the skew', { status: 'in-progress', answerTime: new Date(NOW.getTime() + 30_000) }, { status: 'completed' }, { status: 'completed', endTime: new Date(NOW.getTime() + 30_000), duration: 0 }],
  ])('%s', (_label, state, report, changes) => {
    expect(planCallUpdate(call(state), report, NOW)).toEqual({ kind: 'apply', changes });
  });

  it.each<[string, Partial<CallState>, CallReport, string]>([
    ['a move backwards', { status: 'in-progress' }, { status: 'ringing' }, 'The call is already in-progress; it cannot go back to ringing'],
    ['another terminal status', { status: 'completed', endTime: at(5), duration: 0 }, { status: 'failed' }, 'The call has already ended as completed; it cannot become failed'],
    ['leaving a terminal status', { status: 'canceled', endTime: at(5), duration: 0 }, { status: 'in-progress' }, 'The call has already ended as canceled; it cannot become in-progress'],
    ['an unanswered end of an answered call', { status: 'in-progress', answerTime: at(1) }, { status: 'no-answer' }, 'The call was answered; it cannot end as no-answer'],
  ])('refuses %s as a conflict', (_label, state, report, message) => {
    expect(planCallUpdate(call(state), report, NOW)).toEqual({ kind: 'conflict', message });
  });

  it.each<[string, Partial<CallState>, CallReport, string]>([
    ['an answerTime before startTime', { status: 'in-progress' }, { answerTime: at(-1) }, "answerTime must not be before the call's startTime (2026-11-27T10:00:00.000Z)"],
    ['an endTime before startTime', {}, { status: 'failed', endTime: at(-0.001) }, "endTime must not be before the call's startTime"],
    ['an answerTime too far in the future', { status: 'in-progress' }, { answerTime: new Date(NOW.getTime() + MAX_REPORTED_TIME_AHEAD_MS + 1) }, 'answerTime must not be more than 60 seconds in the future'],
    ['an endTime too far in the future', {}, { status: 'completed', endTime: new Date(NOW.getTime() + 3_600_000) }, 'endTime must not be more than 60 seconds in the future'],
    ['an endTime before the answerTime given with it', {}, { status: 'completed', answerTime: at(10), endTime: at(9) }, 'endTime must not be before answerTime'],
    ['an endTime before the stored answerTime', { status: 'in-progress', answerTime: at(10) }, { status: 'completed', endTime: at(9) }, 'endTime must not be before answerTime'],
    ['a late answerTime after the stored endTime', { status: 'completed', endTime: at(9), duration: 0 }, { answerTime: at(10) }, 'endTime must not be before answerTime'],
    ['an answerTime for a call not yet answered', { status: 'ringing' }, { answerTime: at(1) }, 'answerTime can only be reported for a call that is in-progress, completed or failed'],
    ['an answerTime with an unanswered end', {}, { status: 'busy', answerTime: at(1) }, 'answerTime can only be reported for a call that is in-progress, completed or failed'],
    ['a late answerTime for a canceled call', { status: 'canceled', endTime: at(5), duration: 0 }, { answerTime: at(1) }, 'answerTime can only be reported for a call that is in-progress, completed or failed'],
    ['an endTime for a call that goes on', { status: 'in-progress' }, { endTime: at(1) }, 'endTime can only be reported for a call that has ended'],
    ['an endReason for a call that goes on', {}, { status: 'ringing', endReason: 'x' }, 'endReason can only be reported for a call that has ended'],
  ])('refuses %s as invalid', (_label, state, report, message) => {
    expect(planCallUpdate(call(state), report, NOW)).toEqual({ kind: 'invalid', message: expect.stringContaining(message) });
  });

  it('refuses a bad time before it looks at the status', () => {
    expect(planCallUpdate(call({ status: 'completed' }), { status: 'ringing', answerTime: at(-5) }, NOW).kind).toBe('invalid');
  });

  describe('over any sequence of reports', () => {
    const time = fc.integer({ min: -5, max: 400 }).map(at);
    const report: fc.Arbitrary<CallReport> = fc.record(
      {
        status: fc.constantFrom(...CALL_STATUSES),
        providerCallId: fc.constantFrom('p-1', 'p-2'),
        answerTime: time,
        endTime: time,
        endReason: fc.constantFrom('hung up', 'declined'),
        conversationId: fc.constantFrom('c-1', 'c-2'),
      },
      { requiredKeys: [] },
    );

    it('a call never moves backwards, its end is final, set fields never change and the duration fits its times', () => {
      fc.assert(
        fc.property(fc.array(report, { maxLength: 25 }), (reports) => {
          let state = call();
          for (const next of reports) {
            const plan = planCallUpdate(state, next, NOW);
            if (plan.kind !== 'apply') continue;
            const after: CallState = { ...state, ...plan.changes };
            expect(rankOf(after.status)).toBeGreaterThanOrEqual(rankOf(state.status));
            if (isTerminal(state.status)) expect(after.status).toBe(state.status);
            for (const field of ['providerCallId', 'answerTime', 'endTime', 'endReason', 'conversationId'] as const) {
              if (state[field] !== null) expect(after[field]).toBe(state[field]);
            }
            if (isTerminal(after.status)) {
              expect(after.endTime).not.toBeNull();
              const talk = after.answerTime && after.endTime ? Math.floor((after.endTime.getTime() - after.answerTime.getTime()) / 1000) : 0;
              expect(after.duration).toBe(talk);
              expect(after.duration).toBeGreaterThanOrEqual(0);
            } else {
              expect(after.endTime).toBeNull();
              expect(after.duration).toBeNull();
            }
            if (after.answerTime) expect(rankOf(after.status)).toBeGreaterThanOrEqual(2);
            state = after;
          }
        }),
        { numRuns: 3000 },
      );
    });

    // The provider's events, as the Sinch parser reads them: ICE changes nothing, ACE answers, DiCE ends
    // (a completed one with the answer time its talk time implies). Times anywhere: before the call,
    // or far ahead of the clock.
    const TERMINAL = CALL_STATUSES.filter(isTerminal);
    const eventTime = fc.integer({ min: -600, max: 3600 }).map(at);
    const event: fc.Arbitrary<CallReport> = fc.oneof(
      fc.constant({}),
      eventTime.map((answerTime): CallReport => ({ status: 'in-progress', answerTime })),
      fc
        .record({ status: fc.constantFrom(...TERMINAL), endTime: eventTime, talk: fc.integer({ min: 0, max: 900 }), endReason: fc.constantFrom('CALLEEHANGUP', 'CANCEL') })
        .map(({ status, endTime, talk, endReason }): CallReport => ({
          status,
          endTime,
          endReason,
          ...(status === 'completed' ? { answerTime: new Date(endTime.getTime() - talk * 1000) } : {}),
        })),
    );
    const step = fc.oneof(report.map((body) => ({ from: 'dialer' as const, body })), event.map((body) => ({ from: 'provider' as const, body })));

    it('no interleaving of the dialer\'s reports and the provider\'s events moves a call backwards, and no event is refused for its times', () => {
      fc.assert(
        fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
          let state = call();
          for (const { from, body } of steps) {
            let plan: UpdatePlan;
            if (from === 'dialer') {
              plan = planCallUpdate(state, body, NOW);
            } else {
              // As CallEventsService applies an event: moved into what the planner accepts, and when it
              // contradicts the call (a conflict), only the provider's id is kept.
              plan = planCallUpdate(state, eventReport(state, 'p-1', body, NOW), NOW);
              expect(plan.kind).not.toBe('invalid');
              if (plan.kind !== 'apply') plan = planCallUpdate(state, { providerCallId: 'p-1' }, NOW);
            }
            if (plan.kind !== 'apply') continue;
            const after: CallState = { ...state, ...plan.changes };
            expect(rankOf(after.status)).toBeGreaterThanOrEqual(rankOf(state.status));
            if (isTerminal(state.status)) expect(after.status).toBe(state.status);
            for (const field of ['providerCallId', 'answerTime', 'endTime', 'endReason', 'conversationId'] as const) {
              if (state[field] !== null) expect(after[field]).toBe(state[field]);
            }
            if (after.answerTime && after.endTime) expect(after.endTime.getTime()).toBeGreaterThanOrEqual(after.answerTime.getTime());
            if (isTerminal(after.status)) expect(after.duration).toBeGreaterThanOrEqual(0);
            // A call that ended unanswered has no answer and no talk time.
            if (isUnansweredEnd(after.status)) expect([after.answerTime, after.duration]).toEqual([null, 0]);
            state = after;
          }
        }),
        { numRuns: 3000 },
      );
    });

    it('applying a plan twice changes nothing the second time, so a retried report is harmless', () => {
      fc.assert(
        fc.property(report, (next) => {
          const plan = planCallUpdate(call(), next, NOW);
          if (plan.kind !== 'apply') return;
          const after = { ...call(), ...plan.changes };
          expect(planCallUpdate(after, next, NOW)).toEqual({ kind: 'apply', changes: {} });
        }),
        { numRuns: 2000 },
      );
    });
  });
});
