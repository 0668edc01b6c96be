import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { decode } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser } from './auth-user';
import { JwtVerification } from './auth.options';
import { TokenClaims, tokenProblem, userFromClaims } from './claims';

const extractToken = ExtractJwt.fromAuthHeaderAsBearerToken();

export const JWT_VERIFICATION = Symbol('JWT_VERIFICATION');

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(JWT_VERIFICATION) private readonly verification: JwtVerification) {
    super({
      jwtFromRequest: extractToken,
      // jsonwebtoken accepts a KeyObject and then skips re-parsing the key on every request;
      // passport-jwt passes it through untouched, but its types only know strings and Buffers.
      secretOrKey: verification.key as unknown as Buffer,
      algorithms: [verification.algorithm],
      issuer: verification.issuer,
      audience: verification.audience,
      ignoreExpiration: false,
      // For the token's header, which passport-jwt does not hand on.
      passReqToCallback: true,
    });
  }

  validate(request: Parameters<typeof extractToken>[0], claims: TokenClaims): AuthUser {
    // The signature has been checked, so the header decoded here is the one that was signed.
    const header = decode(extractToken(request) ?? '', { complete: true })?.header ?? {};
    const problem = tokenProblem(header, claims, this.verification.maxTtlSeconds);
    if (problem) throw new UnauthorizedException(problem);
    const checked = userFromClaims(claims);
    if ('problem' in checked) throw new UnauthorizedException(checked.problem);
    return checked.user;
  }
}
