import { CallRecord } from './schemas/call.schema';

/** No such call in the caller's organization. */
export class CallNotFound extends Error {
  constructor() {
    super('Call not found');
  }
}

/** The change contradicts the call as it stands; carries the call, so that the client sees what it conflicts with. */
export class CallConflict extends Error {
  constructor(
    message: string,
    readonly call: CallRecord,
  ) {
    super(message);
  }
}

/** Another call holds the provider call id this change would give the call. */
export class ProviderCallIdTaken extends CallConflict {}

/** Well-formed, but impossible for this call or at this time. */
export class CallChangeInvalid extends Error {}

/** The client's `If-Match` names a version the call no longer has; carries the call as it is. */
export class CallVersionMismatch extends Error {
  constructor(
    message: string,
    readonly call: CallRecord,
  ) {
    super(message);
  }
}
