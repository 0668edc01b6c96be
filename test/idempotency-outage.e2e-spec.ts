import mongoose from 'mongoose';
import { RunningApp } from './support/app';
import { TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { ownDatabaseServer } from './support/database';
import { logLines } from './support/logs';

const INITIATE = '/api/calls/sdk/initiate';
/** "Within 2 seconds", with room for a busy two-core machine. */
const WITHIN_MS = 2500;
/** Enough requests in flight when the database dies that some hold a claimed key and no call yet. */
const WORKERS = 12;
const RETRY_FOR_MS = 15_000;

interface Answer {
  status: number;
  replayed: boolean;
  retryAfter: string | null;
  requestId: string | null;
  body: { call?: { _id: string }; [key: string]: unknown };
  ms: number;
}

/** One number per key, so the calls each key produced can be counted. */
const numberOf = (index: number) => `+1416555${String(200 + index).padStart(4, '0')}`;

async function initiate(app: RunningApp, user: TestUser, index: number): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${app.url}${INITIATE}`, {
    method: 'POST',
    headers: { Authorization: user.bearer, 'Content-Type': 'application/json', 'Idempotency-Key': `outage-${index}` },
    body: JSON.stringify({ phoneNumber: numberOf(index) }),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    retryAfter: response.headers.get('retry-after'),
    requestId: response.headers.get('x-request-id'),
    body: (await response.json()) as Answer['body'],
    ms: Date.now() - started,
  };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function isReady(app: RunningApp): Promise<boolean> {
  const response = await fetch(`${app.url}/health/ready`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
  return response?.status === 200;
}

describe(`POST ${INITIATE} with an Idempotency-Key, across a database outage`, () => {
  const server = ownDatabaseServer('calls-service-idempotency-outage-');

  it('lets each key cut off by a database kill be retried to its one call within 2 s of the database being back', async () => {
    let database = await server.start();
    const port = Number(new URL(database.uri).port);
    const uri = `${database.uri}calls_idempotency_outage`;
    const running = await server.startApp({ MONGODB_URI: uri });
    const user = testUser();

    // Each worker sends one new key after another until the database dies under them.
    const first = new Map<number, Answer>();
    let nextKey = 0;
    let loading = true;
    const workers = Array.from({ length: WORKERS }, async () => {
      while (loading) {
        const index = nextKey++;
        first.set(index, await initiate(running, user, index));
      }
    });
    await until(async () => [...first.values()].filter((answer) => answer.status === 201).length >= 30, 15_000);
    loading = false;
    await database.stop('SIGKILL');
    await Promise.all(workers);
    const keys = nextKey;
    const cutOff = [...Array(keys).keys()].filter((index) => first.get(index)!.status !== 201);
    expect(cutOff.length).toBeGreaterThan(0);
    // Every one a 503; any other is shown with what the service logged while answering it.
    const notUnavailable = cutOff.map((index) => first.get(index)!).filter((answer) => answer.status !== 503);
    const logged = logLines(running);
    expect(
      notUnavailable.map(({ status, body, requestId }) => ({ status, body, log: logged.filter((line) => line.requestId === requestId) })),
    ).toEqual([]);

    database = await server.start(port);
    await until(() => isReady(running), 15_000);
    const back = Date.now();

    // The keys that met the outage after claiming their key and before recording a call: the ones at stake.
    const check = await mongoose.createConnection(uri).asPromise();
    try {
      const claims = await check.collection('idempotency_keys').find().toArray();
      const calls = await check.collection('calls').find({}, { projection: { _id: 1 } }).toArray();
      const recorded = new Set(calls.map((call) => call._id.toHexString()));
      const pending = claims.filter((claim) => !recorded.has(claim.resourceId.toHexString()));
      expect(pending.length).toBeGreaterThan(0);

      // A client that retries each such key, as a dialer would, taking Retry-After at its word.
      const retried = await Promise.all(
        cutOff.map(async (index) => {
          const answers: Answer[] = [];
          while (Date.now() - back < RETRY_FOR_MS) {
            const answer = await initiate(running, user, index);
            answers.push(answer);
            if (answer.status === 201) break;
            await sleep(answer.retryAfter ? Number(answer.retryAfter) * 1000 : 100);
          }
          return { index, answers, doneAfter: Date.now() - back };
        }),
      );

      const late = retried.filter(({ answers, doneAfter }) => answers[answers.length - 1].status !== 201 || doneAfter > WITHIN_MS);
      expect(late.map(({ index, answers, doneAfter }) => ({ index, doneAfter, statuses: answers.map((answer) => answer.status) }))).toEqual([]);
      for (const answer of retried.flatMap(({ answers }) => answers)) {
        // Nobody is held for seconds to be told to come back, and a 409 says when to.
        expect(answer.ms).toBeLessThan(WITHIN_MS);
        if (answer.status === 409) expect(answer.retryAfter).toMatch(/^[1-9][0-9]*$/);
        expect([201, 409, 503]).toContain(answer.status);
        expectContract('post', INITIATE, { status: answer.status, body: answer.body, headers: { 'content-type': 'application/json' } });
      }

      // Every key made exactly one call, and its 201s (first, replays) all name it.
      const stored = await check.collection('calls').find().toArray();
      const byNumber = new Map<string, string[]>();
      for (const call of stored) byNumber.set(call.to, [...(byNumber.get(call.to) ?? []), call._id.toHexString()]);
      for (let index = 0; index < keys; index++) {
        const answered = [first.get(index)!, ...(retried.find((retry) => retry.index === index)?.answers ?? [])].filter((answer) => answer.status === 201);
        expect({ index, calls: byNumber.get(numberOf(index)) }).toEqual({ index, calls: [answered[0].body.call!._id] });
        for (const answer of answered) expect(answer.body.call!._id).toBe(answered[0].body.call!._id);
      }
    } finally {
      await check.close();
    }
  }, 90_000);
});
