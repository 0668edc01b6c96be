// @ts-check
/**
 * The built service (dist/) with one more provider adapter, `fake`, that exists only here: AppModule as
 * main.js builds it, with the provider registry's adapter list overridden to Sinch's and the fake's. It
 * shows that a provider is an adapter and one registry line: nothing else in the service knows it.
 * Run as its own process, like main.js, because Jest cannot load Nest's ES modules.
 */
require('reflect-metadata');
const path = require('node:path');
const { Test } = require('@nestjs/testing');

const dist = path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src');
const { AppModule } = require(path.join(dist, 'app.module.js'));
const { APP_OPTIONS, configureApp, createHttpAdapter } = require(path.join(dist, 'app.setup.js'));
const { CALL_PROVIDER_ADAPTERS } = require(path.join(dist, 'providers', 'call-provider.registry.js'));
const { SinchCallProvider } = require(path.join(dist, 'providers', 'sinch', 'sinch.provider.js'));

/** The fake provider's signature: a header that must say `signed`. */
const FAKE_SIGNATURE_HEADER = 'x-fake-signature';
const KINDS = { start: 'placed', pickup: 'answered', hangup: 'ended' };

/** A CallProviderAdapter (providers/call-provider.ts) for a provider whose callbacks are `{ what, id, at, ... }`. */
const fakeProvider = {
  name: 'fake',
  /** @param {{ headers: Record<string, string | string[] | undefined> }} request */
  verifyRequest(request) {
    return request.headers[FAKE_SIGNATURE_HEADER] === 'signed' ? { ok: true } : { ok: false, reason: 'Missing fake signature' };
  },
  /** @param {any} body */
  parseEvent(body) {
    const kind = KINDS[/** @type {keyof typeof KINDS} */ (body?.what)];
    if (!kind) return body?.what === 'ping' ? { outcome: 'ignored', type: 'ping' } : { outcome: 'invalid', message: 'what must be start, pickup, hangup or ping' };
    const at = new Date(body.at);
    /** @type {Record<string, unknown>} */
    const change = {};
    if (kind === 'answered') Object.assign(change, { status: 'in-progress', answerTime: at });
    if (kind === 'ended') Object.assign(change, { status: 'completed', endTime: at, endReason: 'hangup', cost: { amount: 0.5, currency: 'EUR' } });
    return {
      outcome: 'event',
      event: {
        provider: 'fake',
        providerCallId: body.id,
        callId: body.callId ?? null,
        callToken: body.callToken ?? null,
        callerIdentity: body.caller ?? null,
        type: body.what,
        kind,
        occurredAt: at,
        change,
        payload: body,
      },
    };
  },
  /** @param {unknown} event @param {{ to: string, from: string } | null} call */
  answer(event, call) {
    return call ? { go: true, dial: call.to, as: call.from } : { go: false };
  },
  /** @param {string} userId @param {Date} now */
  createSdkToken(userId, now) {
    return { token: `fake-token-for-${userId}`, expiresAt: new Date(now.getTime() + 60_000), applicationKey: 'fake-app', userId };
  },
};

async function main() {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(CALL_PROVIDER_ADAPTERS)
    .useFactory({ factory: (/** @type {unknown} */ sinch) => [sinch, fakeProvider], inject: [SinchCallProvider] })
    .compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(), APP_OPTIONS);
  await configureApp(app);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
