/**
 * For the crash tests only: `CALLS_TEST_CRASH_AT=<step>` makes the process kill itself (SIGKILL, as a
 * crash would) the first time it reaches that step, so a test can stop it between two writes. Read once
 * at start, honoured only when NODE_ENV is `test`; unset, it does nothing.
 */
const CRASH_AT = process.env.NODE_ENV === 'test' ? (process.env.CALLS_TEST_CRASH_AT ?? '') : '';

export type CrashStep = 'after-outbox-mark' | 'after-mark-batch' | 'after-call-write' | 'after-event-insert' | 'after-head-write' | 'after-marks-delete' | 'after-pending-pull' | 'after-delivery-insert' | 'after-webhook-send';

export function crashPoint(step: CrashStep): void {
  if (CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}
