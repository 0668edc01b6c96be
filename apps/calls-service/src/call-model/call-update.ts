import { CallStatus, isTerminal, isUnansweredEnd, mayBeAnswered, transition } from './call-status';

/** How far ahead of the server's clock a reported time may be, for clients whose clocks run fast. */
export const MAX_REPORTED_TIME_AHEAD_MS = 60_000;

/** The part of a call that a report can change, as stored. */
export interface CallState {
  status: CallStatus;
  startTime: Date;
  answerTime: Date | null;
  endTime: Date | null;
  duration: number | null;
  providerCallId: string | null;
  endReason: string | null;
  conversationId: string | null;
}

/** What the dialer saw, already validated field by field. */
export interface CallReport {
  status?: CallStatus;
  providerCallId?: string;
  answerTime?: Date;
  endTime?: Date;
  endReason?: string;
  conversationId?: string;
}

export type PlannedChanges = Partial<Omit<CallState, 'startTime'>>;

export type UpdatePlan =
  | { kind: 'apply'; changes: PlannedChanges }
  | { kind: 'conflict'; message: string }
  | { kind: 'invalid'; message: string };

/** Fields that are filled once and then kept: late information fills a gap, never overwrites. */
const FILL_ONCE = ['providerCallId', 'answerTime', 'endTime', 'endReason', 'conversationId'] as const;

const invalid = (message: string): UpdatePlan => ({ kind: 'invalid', message });

/**
 * Decides what a report changes on a call, or why it is refused. Pure, so that it can be
 * recomputed whenever the call changed underneath, and tested exhaustively.
 */
export function planCallUpdate(call: CallState, report: CallReport, now: Date): UpdatePlan {
  for (const field of ['answerTime', 'endTime'] as const) {
    const time = report[field];
    if (time && time < call.startTime) return invalid(`${field} must not be before the call's startTime (${call.startTime.toISOString()})`);
    if (time && time.getTime() > now.getTime() + MAX_REPORTED_TIME_AHEAD_MS) {
      return invalid(`${field} must not be more than ${MAX_REPORTED_TIME_AHEAD_MS / 1000} seconds in the future`);
    }
  }

  const move = report.status === undefined ? ({ kind: 'stay' } as const) : transition(call.status, report.status);
  if (move.kind === 'conflict') return move;
  const status = move.kind === 'move' ? move.to : call.status;

  if (report.answerTime && !mayBeAnswered(status)) {
    return invalid('answerTime can only be reported for a call that is in-progress, completed or failed');
  }
  for (const field of ['endTime', 'endReason'] as const) {
    if (report[field] !== undefined && !isTerminal(status)) return invalid(`${field} can only be reported for a call that has ended`);
  }

  const changes: PlannedChanges = move.kind === 'move' ? { status } : {};
  for (const field of FILL_ONCE) {
    const value = report[field];
    if (value !== undefined && call[field] === null) Object.assign(changes, { [field]: value });
  }

  const answerTime = changes.answerTime ?? call.answerTime;
  let endTime = changes.endTime ?? call.endTime;
  if (isTerminal(status) && !endTime) {
    // An end reported without a time ended now, though never before the call began or was answered.
    endTime = new Date(Math.max(now.getTime(), call.startTime.getTime(), answerTime?.getTime() ?? 0));
    changes.endTime = endTime;
  }
  if (answerTime && endTime && endTime < answerTime) return invalid('endTime must not be before answerTime');

  if (isTerminal(status)) {
    const duration = answerTime && endTime ? Math.floor((endTime.getTime() - answerTime.getTime()) / 1000) : 0;
    if (duration !== call.duration) changes.duration = duration;
  }
  return { kind: 'apply', changes };
}

/**
 * A provider event as a report, with its times moved into what the planner accepts (not before the call
 * began, nor further ahead than the clock skew it allows, and an answer not after an end already
 * stored): the provider's clock may disagree with ours by a little, and that must not cost the event.
 */
export function eventReport(
  call: CallState,
  providerCallId: string,
  change: Pick<CallReport, 'status' | 'answerTime' | 'endTime' | 'endReason'>,
  now: Date,
): CallReport {
  const latest = now.getTime() + MAX_REPORTED_TIME_AHEAD_MS;
  const clamp = (time: Date | undefined, notBefore: Date | null, notAfter: Date | null = null) =>
    time === undefined
      ? undefined
      : new Date(Math.min(Math.max(time.getTime(), call.startTime.getTime(), notBefore?.getTime() ?? 0), latest, notAfter?.getTime() ?? latest));
  // The dialer may have ended the call first, without an answer time: the provider's fills it, at most
  // at the end already recorded.
  const answerTime = clamp(change.answerTime, null, call.endTime);
  // A provider that ends an answered call as unanswered contradicts its own answer event: the call was
  // answered, so it ended completed, with its talk time.
  const answered = call.status === 'in-progress' || call.answerTime !== null;
  const status = change.status && answered && isUnansweredEnd(change.status) ? 'completed' : change.status;
  return {
    providerCallId,
    status,
    answerTime,
    endTime: clamp(change.endTime, call.answerTime ?? answerTime ?? null),
    endReason: change.endReason,
  };
}
