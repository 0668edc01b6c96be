import { databaseUri, runAppToExit, TEST_JWT_SECRET, TEST_SINCH } from './support/app';

describe('Configuration', () => {
  const valid = () => ({
    NODE_ENV: 'test',
    PORT: '0',
    MONGODB_URI: databaseUri('calls_config_test'),
    JWT_SECRET: TEST_JWT_SECRET,
    SINCH_APPLICATION_KEY: TEST_SINCH.applicationKey,
    SINCH_APPLICATION_SECRET: TEST_SINCH.applicationSecret,
  });

  it.each([
    ['MONGODB_URI is missing', { MONGODB_URI: undefined }, 'MONGODB_URI'],
    ['MONGODB_URI is not a MongoDB URI', { MONGODB_URI: 'postgres://localhost/calls' }, 'MONGODB_URI'],
    ['neither JWT_SECRET nor JWT_PUBLIC_KEY is set', { JWT_SECRET: undefined }, 'JWT_SECRET or JWT_PUBLIC_KEY'],
    ['JWT_SECRET is too short', { JWT_SECRET: 'short' }, 'JWT_SECRET'],
    ['JWT_PUBLIC_KEY is not a PEM key', { JWT_SECRET: undefined, JWT_PUBLIC_KEY: 'abc' }, 'JWT_PUBLIC_KEY'],
    ['DEFAULT_CALLER_ID is not E.164', { DEFAULT_CALLER_ID: '4165550100' }, 'DEFAULT_CALLER_ID'],
    ['PORT is not a number', { PORT: 'eighty' }, 'PORT'],
    ['LOG_LEVEL is not a level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['CORS_ORIGINS holds a path', { CORS_ORIGINS: 'https://dialer.example.com,https://crm.example.com/app' }, 'CORS_ORIGINS'],
    ['THROTTLE_LIMIT is zero', { THROTTLE_LIMIT: '0' }, 'THROTTLE_LIMIT'],
    ['THROTTLE_TTL_MS is not a number', { THROTTLE_TTL_MS: '1m' }, 'THROTTLE_TTL_MS'],
    ['MONGODB_WRITE_CONCERN is unacknowledged', { MONGODB_WRITE_CONCERN: '0' }, 'MONGODB_WRITE_CONCERN'],
    ['CALL_PROVIDER is not a provider name', { CALL_PROVIDER: 'Sinch!' }, 'CALL_PROVIDER'],
    ['CALL_PROVIDER names no provider the service has', { CALL_PROVIDER: 'twilio' }, 'CALL_PROVIDER must be one of sinch, not twilio'],
    ['SINCH_APPLICATION_KEY is missing', { SINCH_APPLICATION_KEY: undefined }, 'SINCH_APPLICATION_KEY'],
    ['SINCH_APPLICATION_SECRET is not Base64', { SINCH_APPLICATION_SECRET: 'secret' }, 'SINCH_APPLICATION_SECRET'],
  ])('refuses to start when %s, naming the setting', async (_label, overrides, setting) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...valid(), ...overrides })) if (value !== undefined) env[key] = value;

    const { code, output } = await runAppToExit(env);

    expect(code).not.toBe(0);
    expect(output).toContain(setting);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
