import mongoose, { Types } from 'mongoose';
import { freePort, RunningApp } from './support/app';
import { TestUser, testUser } from './support/auth';
import { expectContract } from './support/contract';
import { ownDatabaseServer } from './support/database';
import { logLines } from './support/logs';

const INITIATE = '/api/calls/sdk/initiate';
/** "Within 2 seconds", with room for a busy two-core machine. */
const FAIL_FAST_MS = 2500;
const WORKERS = 4;

interface Answer {
  status: number;
  body: { success: boolean; call?: { _id: string }; [key: string]: unknown };
  ms: number;
}

async function initiate(app: RunningApp, user: TestUser): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${app.url}${INITIATE}`, {
    method: 'POST',
    headers: { Authorization: user.bearer, 'Content-Type': 'application/json' },
    body: JSON.stringify({ phoneNumber: '+14165550199' }),
    // A hung request fails the test rather than the whole run.
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'], ms: Date.now() - started };
}

async function get(app: RunningApp, path: string): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(`${app.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as Answer['body'], ms: Date.now() - started };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectUnavailable(answer: Answer): void {
  expect(answer.body).toEqual({ success: false, statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
  expect(answer.ms).toBeLessThan(FAIL_FAST_MS);
}

/** Each test runs its own database server, to kill and restart without disturbing the others. */
describe('Database outage', () => {
  const server = ownDatabaseServer('calls-service-outage-');

  it('fails fast while the database is killed mid-load, recovers by itself, and loses no acknowledged call', async () => {
    let database = await server.start();
    const port = Number(new URL(database.uri).port);
    const uri = `${database.uri}calls_outage`;
    const running = await server.startApp({ MONGODB_URI: uri });
    const user = testUser();

    const answers: Answer[] = [];
    let loading = true;
    const workers = Array.from({ length: WORKERS }, async () => {
      while (loading) answers.push(await initiate(running, user));
    });
    await until(async () => answers.filter((answer) => answer.status === 201).length >= 40, 10_000);

    await database.stop('SIGKILL');
    await sleep(FAIL_FAST_MS);
    const duringOutage = answers.length;
    const ready = await get(running, '/health/ready');
    const live = await get(running, '/health');

    database = await server.start(port);
    await until(async () => (await get(running, '/health/ready')).status === 200, 15_000);
    const recovered = answers.length;
    await until(async () => answers.slice(recovered).some((answer) => answer.status === 201), 5000);
    loading = false;
    await Promise.all(workers);

    expect(running.process.exitCode).toBeNull();
    expect(live.status).toBe(200);
    expect(ready.status).toBe(503);
    expectUnavailable(ready);
    expect(ready.body.message).toMatch(/^Not ready: database: /);

    const unexpected = answers.filter((answer) => answer.status !== 201 && answer.status !== 503);
    if (unexpected.length > 0) {
      // Say which database error escaped the 503 mapping: the app logs a 5xx's cause at error level.
      const errors = logLines(running).filter((line) => line.level === 'error');
      throw new Error(`Answers other than 201 and 503 during the outage: ${JSON.stringify(unexpected.slice(0, 3))}\n${errors.map((line) => JSON.stringify(line)).join('\n')}`);
    }
    const statuses = new Set(answers.map((answer) => answer.status));
    expect([...statuses].sort()).toEqual([201, 503]);
    const failed = answers.filter((answer) => answer.status === 503);
    expect(failed.length).toBeGreaterThan(0);
    for (const answer of failed) {
      expectContract('post', INITIATE, { status: answer.status, body: answer.body, headers: { 'content-type': 'application/json' } });
      expectUnavailable(answer);
    }
    expect(answers.length).toBeGreaterThan(duringOutage);
    // Each 503 is logged once, as a structured warning of its request, not as a stack trace.
    const warnings = logLines(running).filter((line) => line.context === 'AllExceptionsFilter');
    expect(warnings.length).toBeGreaterThanOrEqual(failed.length);
    for (const line of warnings) expect(line).toMatchObject({ level: 'warn', requestId: expect.any(String) });

    const acknowledged = answers.filter((answer) => answer.status === 201).map((answer) => new Types.ObjectId(answer.body.call!._id));
    const check = await mongoose.createConnection(uri).asPromise();
    try {
      expect(await check.collection('calls').countDocuments({ _id: { $in: acknowledged } })).toBe(acknowledged.length);
    } finally {
      await check.close();
    }
  });

  it('starts while the database is down, answers 503 fast, and becomes ready with its indexes once it is up', async () => {
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}/calls_boot`;
    const running = await server.startApp({ MONGODB_URI: uri }, { waitFor: 'live' });

    expect((await get(running, '/health')).status).toBe(200);
    const notReady = await get(running, '/health/ready');
    expect(notReady.status).toBe(503);
    expectUnavailable(notReady);
    const refused = await initiate(running, testUser());
    expect(refused.status).toBe(503);
    expectUnavailable(refused);

    await server.start(port);
    await until(async () => (await get(running, '/health/ready')).status === 200, 15_000);

    expect((await initiate(running, testUser())).status).toBe(201);
    const check = await mongoose.createConnection(uri).asPromise();
    try {
      await until(async () => (await check.collection('calls').indexes()).some((index) => index.name === 'organizationId_1_startTime_-1__id_-1'), 5000);
    } finally {
      await check.close();
    }
    expect(running.process.exitCode).toBeNull();
  });
});
