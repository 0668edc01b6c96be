export const CALL_STATUSES = ['initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Where a status stands in a call's life; every terminal status shares the last rank. */
const RANK: Record<CallStatus, number> = {
  initiated: 0,
  ringing: 1,
  'in-progress': 2,
  completed: 3,
  busy: 3,
  'no-answer': 3,
  canceled: 3,
  failed: 3,
};
const TERMINAL_RANK = 3;
const ANSWERED_RANK = 2;

export const rankOf = (status: CallStatus): number => RANK[status];
export const isTerminal = (status: CallStatus): boolean => RANK[status] === TERMINAL_RANK;
/** Endings that say nobody answered: a call that was answered cannot end so, nor carry an answerTime in them. */
const UNANSWERED_ENDS: ReadonlySet<CallStatus> = new Set<CallStatus>(['busy', 'no-answer', 'canceled']);
export const isUnansweredEnd = (status: CallStatus): boolean => UNANSWERED_ENDS.has(status);
/**
 * A call can have been answered only once it is in progress, or when it ended `completed` or `failed`
 * (a call dropped mid-conversation keeps its talk time); `busy`, `no-answer` and `canceled` were never answered.
 */
export const mayBeAnswered = (status: CallStatus): boolean => RANK[status] >= ANSWERED_RANK && !isUnansweredEnd(status);

export type StatusTransition = { kind: 'stay' } | { kind: 'move'; to: CallStatus } | { kind: 'conflict'; message: string };

/**
 * A status only moves forward, possibly skipping steps, and a terminal status is final. Reporting the
 * status the call already has is not a conflict, so that a retried report succeeds. A call in progress was
 * answered, so it cannot end as busy, no-answer or canceled: that would contradict what is stored (409, like
 * a move backwards), and retrying would never make it fit.
 */
export function transition(from: CallStatus, to: CallStatus): StatusTransition {
  if (from === to) return { kind: 'stay' };
  if (isTerminal(from)) return { kind: 'conflict', message: `The call has already ended as ${from}; it cannot become ${to}` };
  if (RANK[to] < RANK[from]) return { kind: 'conflict', message: `The call is already ${from}; it cannot go back to ${to}` };
  if (from === 'in-progress' && isUnansweredEnd(to)) return { kind: 'conflict', message: `The call was answered; it cannot end as ${to}` };
  return { kind: 'move', to };
}
