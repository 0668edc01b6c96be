import { newWebhookSecret, signatureHeader } from './webhook-signature';

describe('signatureHeader', () => {
  // The example of the Standard Webhooks specification (and of Svix's libraries).
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';

  it('signs as the specification\'s example does', () => {
    expect(signatureHeader([secret], id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret given, space-separated', () => {
    const other = newWebhookSecret();
    const header = signatureHeader([other, secret], id, timestamp, body);
    expect(header.split(' ')).toEqual([signatureHeader([other], id, timestamp, body), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=']);
  });

  it('makes secrets of 32 random bytes', () => {
    const made = newWebhookSecret();
    expect(made).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(made.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(made);
  });
});
