import { Types } from 'mongoose';
import { sign, SignOptions } from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './app';

export const newId = (): string => new Types.ObjectId().toHexString();

export interface TestUser {
  organizationId: string;
  userId: string;
  token: string;
  /** The Authorization header value. */
  bearer: string;
}

/** A user of a fresh organization (or of the given one), with a valid token. */
export function testUser(organizationId = newId(), userId = newId()): TestUser {
  const token = signToken({ sub: userId, organizationId });
  return { organizationId, userId, token, bearer: `Bearer ${token}` };
}

/** A user with the `admin` role claim, of a fresh organization (or of the given one). */
export function adminUser(organizationId = newId(), userId = newId()): TestUser {
  const token = signToken({ sub: userId, organizationId, role: 'admin' });
  return { organizationId, userId, token, bearer: `Bearer ${token}` };
}

export function signToken(claims: Record<string, unknown>, options: SignOptions = {}, secret = TEST_JWT_SECRET): string {
  const expiry: SignOptions = 'exp' in claims ? {} : { expiresIn: '1h' };
  return sign(claims, secret, { algorithm: 'HS256', ...expiry, ...options });
}
