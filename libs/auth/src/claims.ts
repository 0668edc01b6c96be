import { AuthUser } from './auth-user';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export interface TokenClaims {
  sub?: unknown;
  organizationId?: unknown;
  role?: unknown;
}

/** The user a verified token's claims name, or what is wrong with them. */
export function userFromClaims(claims: TokenClaims): { user: AuthUser } | { problem: string } {
  const { sub, organizationId, role } = claims;
  if (typeof sub !== 'string' || !OBJECT_ID.test(sub)) {
    return { problem: 'Token has no valid sub (user id) claim' };
  }
  if (typeof organizationId !== 'string' || !OBJECT_ID.test(organizationId)) {
    return { problem: 'Token has no valid organizationId claim' };
  }
  return {
    user: {
      userId: sub.toLowerCase(),
      organizationId: organizationId.toLowerCase(),
      ...(typeof role === 'string' ? { role } : {}),
    },
  };
}
