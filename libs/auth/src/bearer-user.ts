import { verify } from 'jsonwebtoken';
import { AuthUser } from './auth-user';
import { JwtVerification } from './auth.options';
import { userFromClaims } from './claims';

/** `Bearer <token>`, the scheme in any case, as passport-jwt reads it. */
const BEARER = /^bearer\s+(\S+)$/i;

/**
 * The user an Authorization header proves, checked exactly as JwtStrategy checks it (key, pinned
 * algorithm, issuer, audience, expiry, claims); undefined for anything less. For code that must know
 * the caller before the guard runs, such as a rate limit keyed by user: an unverified `sub` would let
 * anyone spend another user's budget, or dodge their own with a fresh `sub` per request.
 */
export function verifiedBearerUser(verification: JwtVerification, authorization: string | undefined): AuthUser | undefined {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  try {
    const claims = verify(token, verification.key, {
      algorithms: [verification.algorithm],
      issuer: verification.issuer,
      audience: verification.audience,
    });
    if (typeof claims === 'string') return undefined;
    const checked = userFromClaims(claims);
    return 'user' in checked ? checked.user : undefined;
  } catch {
    return undefined;
  }
}
