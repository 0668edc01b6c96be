import { validateEnvironment } from './environment';

const valid = { MONGODB_URI: 'mongodb://localhost:27017/calls', JWT_SECRET: 'a-secret-of-enough-length' };

describe('validateEnvironment', () => {
  it('fills development defaults', () => {
    const env = validateEnvironment(valid);

    expect(env).toMatchObject({ NODE_ENV: 'development', PORT: 3000, HOST: '0.0.0.0', DEFAULT_CALLER_ID: undefined });
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

    expect(validateEnvironment({ MONGODB_URI: valid.MONGODB_URI, JWT_PUBLIC_KEY: publicKey }).JWT_PUBLIC_KEY).toBe(publicKey);
  });

  it.each([
    ['MONGODB_URI', { JWT_SECRET: valid.JWT_SECRET }],
    ['MONGODB_URI', { ...valid, MONGODB_URI: 'http://localhost' }],
    ['JWT_SECRET or JWT_PUBLIC_KEY', { MONGODB_URI: valid.MONGODB_URI }],
    ['JWT_SECRET must be at least 16', { ...valid, JWT_SECRET: 'short' }],
    ['DEFAULT_CALLER_ID', { ...valid, DEFAULT_CALLER_ID: '555-0100' }],
    ['PORT', { ...valid, PORT: '70000' }],
    ['HOST', { ...valid, HOST: 'localhost:3000' }],
    ['NODE_ENV', { ...valid, NODE_ENV: 'staging' }],
  ])('names %s when it is wrong', (setting, raw) => {
    expect(() => validateEnvironment(raw)).toThrow(setting);
  });
});
