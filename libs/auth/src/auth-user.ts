/** The caller, as proven by a verified bearer token. */
export interface AuthUser {
  /** The `sub` claim: the user's id (24 hex characters). */
  userId: string;
  /** The `organizationId` claim: every query is scoped to it. */
  organizationId: string;
  /** The optional `role` claim (for example `admin`). */
  role?: string;
}
