import fc from 'fast-check';
import { authorizationHeader, contentMd5, SIGNED_TIMESTAMP_TOLERANCE_MS, sign, SignedRequest, stringToSign, verify } from './sinch-signature';

// Sinch's published example of a signed callback.
const credentials = { applicationKey: '669E367E-6BBA-48AB-AF15-266871C28135', applicationSecret: 'BeIukql3pTKJ8RGL5zo0DA==' };
const published: SignedRequest = {
  method: 'POST',
  path: '/sinch/callback/ace',
  contentType: 'application/json',
  timestamp: '2014-09-24T10:59:41Z',
  body: Buffer.from('{"event":"ace","callid":"822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257","timestamp":"2014-09-24T10:59:41Z","version":1}'),
};
const publishedSignature = 'Tg6fMyo8mj9pYfWQ9ssbx3Tc1BNC87IEygAfLbJqZb4=';
const sentAt = new Date('2014-09-24T10:59:41Z');

describe('Sinch signed requests', () => {
  describe('the published example', () => {
    it('hashes the body to the published MD5', () => {
      expect(contentMd5(published.body)).toBe('REWF+X220L4/Gw1spXOU7g==');
    });

    it('builds the string to sign from method, MD5, content type, timestamp and path', () => {
      expect(stringToSign(published)).toBe(
        'POST\nREWF+X220L4/Gw1spXOU7g==\napplication/json\nx-timestamp:2014-09-24T10:59:41Z\n/sinch/callback/ace',
      );
    });

    it('signs to the published signature', () => {
      expect(sign(credentials, published)).toBe(publishedSignature);
      expect(authorizationHeader(credentials, published)).toBe(`Application ${credentials.applicationKey}:${publishedSignature}`);
    });

    it('verifies, with the word "application" and the key in any case', () => {
      for (const scheme of ['Application', 'application', 'APPLICATION']) {
        expect(verify(credentials, `${scheme} ${credentials.applicationKey}:${publishedSignature}`, published, sentAt)).toEqual({ ok: true });
      }
      expect(verify(credentials, `Application ${credentials.applicationKey.toLowerCase()}:${publishedSignature}`, published, sentAt)).toEqual({ ok: true });
    });
  });

  describe('refuses', () => {
    const header = `Application ${credentials.applicationKey}:${publishedSignature}`;

    it.each([
      ['no Authorization header', undefined, 'missing-authorization'],
      ['another scheme', `Bearer ${publishedSignature}`, 'malformed-authorization'],
      ['no signature', `Application ${credentials.applicationKey}`, 'malformed-authorization'],
      ['another application key', `Application 00000000-0000-0000-0000-000000000000:${publishedSignature}`, 'wrong-key'],
      ['a wrong signature', `Application ${credentials.applicationKey}:${sign({ ...credentials, applicationSecret: 'AAAAAAAAAAAAAAAAAAAAAA==' }, published)}`, 'bad-signature'],
      ['a truncated signature', `Application ${credentials.applicationKey}:${publishedSignature.slice(0, 20)}`, 'bad-signature'],
      ['a signature that is not base64', `Application ${credentials.applicationKey}:${'!'.repeat(44)}`, 'bad-signature'],
    ])('%s', (_label, authorization, failure) => {
      expect(verify(credentials, authorization, published, sentAt)).toEqual({ ok: false, failure });
    });

    it('a missing x-timestamp', () => {
      expect(verify(credentials, header, { ...published, timestamp: undefined }, sentAt)).toEqual({ ok: false, failure: 'missing-timestamp' });
    });

    it.each([
      ['more than 5 minutes behind', SIGNED_TIMESTAMP_TOLERANCE_MS + 1000],
      ['more than 5 minutes ahead', -(SIGNED_TIMESTAMP_TOLERANCE_MS + 1000)],
    ])('an x-timestamp %s', (_label, offset) => {
      expect(verify(credentials, header, published, new Date(sentAt.getTime() + offset))).toEqual({ ok: false, failure: 'stale-timestamp' });
    });

    it('accepts an x-timestamp within 5 minutes either way', () => {
      for (const offset of [SIGNED_TIMESTAMP_TOLERANCE_MS, -SIGNED_TIMESTAMP_TOLERANCE_MS, 0]) {
        expect(verify(credentials, header, published, new Date(sentAt.getTime() + offset)).ok).toBe(true);
      }
    });

    it('an unreadable x-timestamp', () => {
      expect(verify(credentials, header, { ...published, timestamp: 'yesterday' }, sentAt)).toEqual({ ok: false, failure: 'stale-timestamp' });
    });
  });

  describe('any change to what was signed fails verification', () => {
    const header = authorizationHeader(credentials, published);
    const fails = (changed: SignedRequest, now = sentAt) => expect(verify(credentials, header, changed, now)).toEqual({ ok: false, failure: 'bad-signature' });

    it('the body', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          fc.pre(!Buffer.from(bytes).equals(published.body));
          fails({ ...published, body: Buffer.from(bytes) });
        }),
      );
    });

    it('one byte of the body', () => {
      fc.assert(
        fc.property(fc.nat(published.body.length - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
          const body = Buffer.from(published.body);
          body[at] = (body[at] + delta) % 256;
          fails({ ...published, body });
        }),
      );
    });

    it('the path', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 60 }), (path) => {
          fc.pre(path !== published.path);
          fails({ ...published, path });
        }),
      );
    });

    it('the timestamp, even by a second', () => {
      fc.assert(
        fc.property(fc.integer({ min: -SIGNED_TIMESTAMP_TOLERANCE_MS / 1000, max: SIGNED_TIMESTAMP_TOLERANCE_MS / 1000 }).filter((s) => s !== 0), (seconds) => {
          const timestamp = new Date(sentAt.getTime() + seconds * 1000).toISOString().replace('.000Z', 'Z');
          fails({ ...published, timestamp });
        }),
      );
    });

    it('the method or the content type', () => {
      fails({ ...published, method: 'PUT' });
      fails({ ...published, contentType: 'application/json; charset=utf-8' });
    });

    it('the secret the signature was made with', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (secretBytes) => {
          const applicationSecret = Buffer.from(secretBytes).toString('base64');
          fc.pre(applicationSecret !== credentials.applicationSecret);
          expect(verify({ ...credentials, applicationSecret }, header, published, sentAt)).toEqual({ ok: false, failure: 'bad-signature' });
        }),
      );
    });

    it('the key named in the header', () => {
      fc.assert(
        fc.property(fc.uuid(), (applicationKey) => {
          fc.pre(applicationKey.toLowerCase() !== credentials.applicationKey.toLowerCase());
          const forged = header.replace(credentials.applicationKey, applicationKey);
          expect(verify(credentials, forged, published, sentAt)).toEqual({ ok: false, failure: 'wrong-key' });
        }),
      );
    });
  });

  it('whatever it signs, it verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.webPath(), fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (bytes, path, date) => {
        const request = { ...published, body: Buffer.from(bytes), path, timestamp: date.toISOString() };
        expect(verify(credentials, authorizationHeader(credentials, request), request, date)).toEqual({ ok: true });
      }),
    );
  });
});
