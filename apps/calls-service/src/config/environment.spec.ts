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
