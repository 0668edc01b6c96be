import { plainToInstance, Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsIP, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync, ValidateBy, ValidateIf } from 'class-validator';
import { IsE164PhoneNumber, NUMBER_TYPES, PhoneNumberType } from '../common/phone-number';
import { parseTrustProxy } from './trust-proxy';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const SECONDS_PER_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** `90`, `90s`, `15m`, `24h` or `7d` → seconds; anything else is left for the validator to refuse. */
const toSeconds = ({ value }: { value: unknown }) => {
  const match = typeof value === 'string' ? /^(\d+)([smhd]?)$/.exec(value.trim()) : null;
  return match ? Number(match[1]) * SECONDS_PER_UNIT[match[2] || 's'] : value;
};
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : value;

const toBoolean = ({ value }: { value: unknown }) => {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  return text === 'true' ? true : text === 'false' ? false : value;
};
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `200ms,5s,2m,1h` → milliseconds; null when any item is not such a duration. */
export function parseDurationList(text: string): number[] | null {
  const waits: number[] = [];
  for (const item of text.split(',')) {
    const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(item.trim());
    if (!match) return null;
    waits.push(Number(match[1]) * MS_PER_UNIT[match[2]]);
  }
  return waits;
}
const toDurationList = ({ value }: { value: unknown }) => (typeof value === 'string' ? (parseDurationList(value) ?? value) : value);

/** Every setting the service reads. The process refuses to start when one is missing or malformed. */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** The address to listen on: all interfaces by default (containers), 127.0.0.1 to stay on this machine. */
  @IsIP(undefined, { message: 'HOST must be an IPv4 or IPv6 address, such as 0.0.0.0 or 127.0.0.1' })
  HOST = '0.0.0.0';

  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, { message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// URI' })
  MONGODB_URI!: string;

  /**
   * How many nodes must have a write before it is acknowledged: `majority`, or a number. FerretDB
   * ignores it. 0 (unacknowledged) is refused: the service answers 201 only for a write it knows landed.
   */
  @Matches(/^(majority|[1-9]\d*)$/, { message: 'MONGODB_WRITE_CONCERN must be majority or a number of nodes (1 or more)' })
  MONGODB_WRITE_CONCERN = 'majority';

  @ValidateIf((env: Environment) => !env.JWT_PUBLIC_KEY || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET or JWT_PUBLIC_KEY must be set' })
  @MinLength(16, { message: 'JWT_SECRET must be at least 16 characters long' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, {
    message: 'JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)',
  })
  JWT_PUBLIC_KEY?: string;

  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  /**
   * The longest lifetime a bearer token may have (exp - iat), as seconds or with a unit: `900`, `15m`,
   * `24h`, `7d`. A token without `exp`, or living longer, is refused with 401.
   */
  @Transform(toSeconds)
  @IsInt({ message: 'JWT_MAX_TTL must be a duration such as 3600, 15m, 24h or 7d' })
  @Min(60, { message: 'JWT_MAX_TTL must be at least 60 seconds' })
  JWT_MAX_TTL = 24 * 3600;

  /** The caller ID used when the organization has none of its own. */
  @IsOptional()
  @IsE164PhoneNumber({ message: 'DEFAULT_CALLER_ID must be a valid E.164 number such as +14165550100' })
  DEFAULT_CALLER_ID?: string;

  /**
   * Number types that outbound calls may not go to, as libphonenumber names them, comma-separated, or
   * `none`. Premium-rate and shared-cost numbers are where toll fraud makes its money.
   */
  @Transform(({ value }: { value: unknown }) => {
    const list = toList({ value });
    return Array.isArray(list) ? list.map((item: string) => item.toUpperCase()).filter((item: string) => item !== 'NONE') : list;
  })
  @IsIn(NUMBER_TYPES, { each: true, message: `BLOCKED_NUMBER_TYPES must be none or a comma-separated list of ${NUMBER_TYPES.join(', ')}` })
  BLOCKED_NUMBER_TYPES: PhoneNumberType[] = ['PREMIUM_RATE', 'SHARED_COST'];

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /**
   * Origins (scheme, host and port, no path) whose pages may call the API from a browser, such as the
   * web dialer's. Every other origin gets no CORS headers.
   */
  @Transform(toList)
  @Matches(/^https?:\/\/[^/\s*]+$/, {
    each: true,
    message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://dialer.example.com (no path, no *)',
  })
  CORS_ORIGINS: string[] = [];

  /**
   * Which proxies in front of the service to believe about the client's address (X-Forwarded-For), so
   * that the per-address rate limit counts clients, not the load balancer: `false` (the default),
   * `true`, a number of hops, or comma-separated proxy addresses or CIDR ranges. See parseTrustProxy.
   */
  @ValidateBy({
    name: 'isTrustProxy',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseTrustProxy(value) !== null,
      defaultMessage: () =>
        'TRUST_PROXY must be false, true, a number of proxy hops, or comma-separated proxy addresses or CIDR ranges such as 10.0.0.0/8',
    },
  })
  TRUST_PROXY = 'false';

  /**
   * An export (`GET /api/calls/export`) whose client takes nothing for this long, while staying connected,
   * is ended, and its database query with it: a client that stops reading cannot hold a cursor open.
   */
  @Transform(toInteger)
  @IsInt({ message: 'EXPORT_STALL_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'EXPORT_STALL_TIMEOUT_MS must be at least 100' })
  EXPORT_STALL_TIMEOUT_MS = 60_000;

  /** Requests one user (or, without a valid token, one IP address) may make per THROTTLE_TTL_MS. */
  @Transform(toInteger)
  @IsInt({ message: 'THROTTLE_LIMIT must be a whole number of requests' })
  @Min(1, { message: 'THROTTLE_LIMIT must be at least 1' })
  THROTTLE_LIMIT = 300;

  @Transform(toInteger)
  @IsInt({ message: 'THROTTLE_TTL_MS must be a whole number of milliseconds' })
  @Min(1000, { message: 'THROTTLE_TTL_MS must be at least 1000 (one second)' })
  THROTTLE_TTL_MS = 60_000;

  /** The provider that places new calls and issues SDK tokens: the name of a provider adapter the service has. */
  @Matches(/^[a-z][a-z0-9-]*$/, { message: 'CALL_PROVIDER must be a provider name such as sinch' })
  CALL_PROVIDER = 'sinch';

  /** How many days call events are kept in the feed at least; older ones are purged. */
  @Transform(toInteger)
  @IsInt({ message: 'EVENT_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'EVENT_RETENTION_DAYS must be at least 1' })
  EVENT_RETENTION_DAYS = 30;

  /** Webhook endpoints may be plain `http://` URLs (development and tests); otherwise only `https://`. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_HTTP must be true or false' })
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Webhook endpoints may resolve to loopback, private, link-local or metadata addresses (development and
   * tests). Off, such URLs are refused at registration and at every send (SSRF).
   */
  @Transform(toBoolean)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_PRIVATE_URLS must be true or false' })
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  /** How long a webhook endpoint has to answer 2xx, in milliseconds; slower is a failed attempt. */
  @Transform(toInteger)
  @IsInt({ message: 'WEBHOOK_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'WEBHOOK_TIMEOUT_MS must be at least 100' })
  @Max(60_000, { message: 'WEBHOOK_TIMEOUT_MS must be at most 60000 (one minute)' })
  WEBHOOK_TIMEOUT_MS = 5000;

  /**
   * The waits before each retry of a failed delivery, in milliseconds (parsed from `5s,30s,2m`; `ms`, `s`,
   * `m`, `h`, `d`). After the last, the delivery is failed. Each wait gets up to 10 % jitter.
   */
  @Transform(toDurationList)
  @IsArray({ message: 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations such as 5s,30s,2m,1h' })
  @ArrayMinSize(1, { message: 'WEBHOOK_RETRY_SCHEDULE must name at least one wait' })
  @ArrayMaxSize(20, { message: 'WEBHOOK_RETRY_SCHEDULE may name at most 20 waits' })
  @IsInt({ each: true, message: 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations such as 5s,30s,2m,1h' })
  @Min(1, { each: true, message: 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations such as 5s,30s,2m,1h' })
  @Max(7 * 86_400_000, { each: true, message: 'WEBHOOK_RETRY_SCHEDULE waits must be at most 7d each' })
  WEBHOOK_RETRY_SCHEDULE: number[] = parseDurationList('5s,30s,2m,10m,1h,4h,12h,24h') as number[];

  /** Consecutive failed attempts, with no success between, after which an endpoint is disabled. */
  @Transform(toInteger)
  @IsInt({ message: 'WEBHOOK_DISABLE_AFTER must be a whole number of attempts' })
  @Min(1, { message: 'WEBHOOK_DISABLE_AFTER must be at least 1' })
  WEBHOOK_DISABLE_AFTER = 50;

  /** How many days webhook deliveries and their attempts are kept. */
  @Transform(toInteger)
  @IsInt({ message: 'WEBHOOK_LOG_RETENTION_DAYS must be a whole number of days' })
  @Min(1, { message: 'WEBHOOK_LOG_RETENTION_DAYS must be at least 1' })
  WEBHOOK_LOG_RETENTION_DAYS = 30;

  /**
   * How often an open event stream (`GET /api/events/stream`) gets a comment line when nothing else was sent,
   * so that proxies and load balancers do not close it as idle.
   */
  @Transform(toInteger)
  @IsInt({ message: 'SSE_HEARTBEAT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'SSE_HEARTBEAT_MS must be at least 100' })
  SSE_HEARTBEAT_MS = 15_000;

  /** The Sinch application's key, from the Sinch dashboard: callbacks must name it. */
  @Matches(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
    message: 'SINCH_APPLICATION_KEY must be the Sinch application key, a UUID such as 669e367e-6bba-48ab-af15-266871c28135',
  })
  SINCH_APPLICATION_KEY!: string;

  /** The Sinch application's secret (Base64, as the dashboard shows it): it signs callbacks and SDK tokens. */
  @Matches(/^(?:[A-Za-z0-9+/]{4}){5,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
    message: 'SINCH_APPLICATION_SECRET must be the Sinch application secret in Base64, such as BeIukql3pTKJ8RGL5zo0DA==',
  })
  SINCH_APPLICATION_SECRET!: string;
}

export function validateEnvironment(raw: Record<string, unknown>): Environment {
  // An empty variable (`X=` in a shell, `${X:-}` in compose) means "not set".
  const set = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(Environment, set, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}
