import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, validateEnvironment } from './environment';

const sinch = { SINCH_APPLICATION_KEY: '669E367E-6BBA-48AB-AF15-266871C28135', SINCH_APPLICATION_SECRET: 'BeIukql3pTKJ8RGL5zo0DA==' };
const valid = { MONGODB_URI: 'mongodb://localhost:27017/calls', JWT_SECRET: 'a-secret-of-enough-length', ...sinch };

describe('validateEnvironment', () => {
  it('fills development defaults', () => {
    const env = validateEnvironment(valid);

    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      HOST: '0.0.0.0',
      DEFAULT_CALLER_ID: undefined,
      LOG_LEVEL: 'info',
      CORS_ORIGINS: [],
      THROTTLE_LIMIT: 300,
      THROTTLE_TTL_MS: 60_000,
      MONGODB_WRITE_CONCERN: 'majority',
    });
  });

  it('reads the operating settings', () => {
    const env = validateEnvironment({
      ...valid,
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: ' https://dialer.example.com, http://localhost:5173 ,',
      THROTTLE_LIMIT: '20',
      THROTTLE_TTL_MS: '1000',
      MONGODB_WRITE_CONCERN: '2',
    });

    expect(env).toMatchObject({
      LOG_LEVEL: 'debug',
      CORS_ORIGINS: ['https://dialer.example.com', 'http://localhost:5173'],
      THROTTLE_LIMIT: 20,
      THROTTLE_TTL_MS: 1000,
      MONGODB_WRITE_CONCERN: '2',
    });
  });

  it('reads the webhook settings, with the defaults the issue names', () => {
    expect(validateEnvironment(valid)).toMatchObject({
      WEBHOOK_ALLOW_HTTP: false,
      WEBHOOK_ALLOW_PRIVATE_URLS: false,
      WEBHOOK_TIMEOUT_MS: 5000,
      WEBHOOK_RETRY_SCHEDULE: [5_000, 30_000, 120_000, 600_000, 3_600_000, 14_400_000, 43_200_000, 86_400_000],
      WEBHOOK_DISABLE_AFTER: 50,
      WEBHOOK_LOG_RETENTION_DAYS: 30,
    });
    expect(
      validateEnvironment({ ...valid, WEBHOOK_ALLOW_HTTP: 'TRUE', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_SCHEDULE: '200ms, 1s,2m', WEBHOOK_TIMEOUT_MS: '800' }),
    ).toMatchObject({ WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOW_PRIVATE_URLS: true, WEBHOOK_RETRY_SCHEDULE: [200, 1_000, 120_000], WEBHOOK_TIMEOUT_MS: 800 });
  });

  it.each([
    [{ WEBHOOK_ALLOW_HTTP: 'yes' }, 'WEBHOOK_ALLOW_HTTP must be true or false'],
    [{ WEBHOOK_ALLOW_PRIVATE_URLS: '1' }, 'WEBHOOK_ALLOW_PRIVATE_URLS must be true or false'],
    [{ WEBHOOK_RETRY_SCHEDULE: '5s,soon' }, 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations'],
    [{ WEBHOOK_RETRY_SCHEDULE: '5' }, 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations'],
    [{ WEBHOOK_RETRY_SCHEDULE: '0s' }, 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations'],
    [{ WEBHOOK_RETRY_SCHEDULE: '8d' }, 'WEBHOOK_RETRY_SCHEDULE waits must be at most 7d each'],
    [{ WEBHOOK_TIMEOUT_MS: '50' }, 'WEBHOOK_TIMEOUT_MS must be at least 100'],
    [{ WEBHOOK_DISABLE_AFTER: '0' }, 'WEBHOOK_DISABLE_AFTER must be at least 1'],
    [{ WEBHOOK_LOG_RETENTION_DAYS: 'forever' }, 'WEBHOOK_LOG_RETENTION_DAYS must be a whole number of days'],
  ])('refuses %j', (setting, message) => {
    expect(() => validateEnvironment({ ...valid, ...setting })).toThrow(message);
  });

  it('reads a port and a caller ID', () => {
    expect(validateEnvironment({ ...valid, PORT: '8080', DEFAULT_CALLER_ID: '+14165550100' })).toMatchObject({
      PORT: 8080,
      DEFAULT_CALLER_ID: '+14165550100',
    });
  });

  it('reads a loopback-only address', () => {
    expect(validateEnvironment({ ...valid, HOST: '127.0.0.1' }).HOST).toBe('127.0.0.1');
  });

  it('treats an empty caller ID as none', () => {
    expect(validateEnvironment({ ...valid, DEFAULT_CALLER_ID: '' }).DEFAULT_CALLER_ID).toBeUndefined();
  });

  it('accepts a public key instead of a secret', () => {
    const publicKey = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';

    expect(validateEnvironment({ MONGODB_URI: valid.MONGODB_URI, JWT_PUBLIC_KEY: publicKey, ...sinch }).JWT_PUBLIC_KEY).toBe(publicKey);
  });

  it.each([
    ['MONGODB_URI', { JWT_SECRET: valid.JWT_SECRET }],
    ['MONGODB_URI', { ...valid, MONGODB_URI: 'http://localhost' }],
    ['JWT_SECRET or JWT_PUBLIC_KEY', { MONGODB_URI: valid.MONGODB_URI, ...sinch }],
    ['JWT_SECRET must be at least 16', { ...valid, JWT_SECRET: 'short' }],
    ['DEFAULT_CALLER_ID', { ...valid, DEFAULT_CALLER_ID: '555-0100' }],
    ['PORT', { ...valid, PORT: '70000' }],
    ['HOST', { ...valid, HOST: 'localhost:3000' }],
    ['NODE_ENV', { ...valid, NODE_ENV: 'staging' }],
    ['LOG_LEVEL', { ...valid, LOG_LEVEL: 'verbose' }],
    ['CORS_ORIGINS', { ...valid, CORS_ORIGINS: 'https://dialer.example.com/app' }],
    ['CORS_ORIGINS', { ...valid, CORS_ORIGINS: '*' }],
    ['CORS_ORIGINS', { ...valid, CORS_ORIGINS: 'dialer.example.com' }],
    ['THROTTLE_LIMIT', { ...valid, THROTTLE_LIMIT: '0' }],
    ['THROTTLE_LIMIT', { ...valid, THROTTLE_LIMIT: 'many' }],
    ['THROTTLE_TTL_MS', { ...valid, THROTTLE_TTL_MS: '1.5' }],
    ['THROTTLE_TTL_MS', { ...valid, THROTTLE_TTL_MS: '10' }],
    ['MONGODB_WRITE_CONCERN', { ...valid, MONGODB_WRITE_CONCERN: '0' }],
    ['MONGODB_WRITE_CONCERN', { ...valid, MONGODB_WRITE_CONCERN: 'all' }],
    ['SINCH_APPLICATION_KEY', { ...valid, SINCH_APPLICATION_KEY: undefined }],
    ['SINCH_APPLICATION_KEY', { ...valid, SINCH_APPLICATION_KEY: 'not-a-key' }],
    ['SINCH_APPLICATION_SECRET', { ...valid, SINCH_APPLICATION_SECRET: undefined }],
    ['SINCH_APPLICATION_SECRET', { ...valid, SINCH_APPLICATION_SECRET: 'c2hvcnQ=' }],
    ['SINCH_APPLICATION_SECRET', { ...valid, SINCH_APPLICATION_SECRET: 'not base64 at all!!' }],
  ])('names %s when it is wrong', (setting, raw) => {
    expect(() => validateEnvironment(raw)).toThrow(setting);
  });

  it('.env.example lists every setting, and is valid as it stands', () => {
    const text = readFileSync(join(__dirname, '..', '..', '..', '..', '.env.example'), 'utf8');
    const example = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

    expect(Object.keys(example).sort()).toEqual(Object.keys(new Environment()).sort());
    expect(() => validateEnvironment(example)).not.toThrow();
  });
});
