import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Types } from 'mongoose';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';
import { countCalls } from './support/factories';

const IN_FLIGHT = 8;

interface SlowRequest {
  /** Sends the rest of the body, which the service has been waiting for. */
  finish: () => void;
  answer: Promise<{ status: number; body: string }>;
}

/** A request whose body arrives in two halves: the service holds it in flight until the second. */
function slowInitiate(url: string, bearer: string, agent: Agent): SlowRequest {
  const body = JSON.stringify({ phoneNumber: '+14165550199' });
  const half = Math.floor(body.length / 2);
  let finish = () => {};
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = httpRequest(`${url}/api/calls/sdk/initiate`, {
      method: 'POST',
      agent,
      headers: { Authorization: bearer, 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.write(body.slice(0, half));
    finish = () => request.end(body.slice(half));
  });
  return { finish, answer };
}

/** Whether a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('Shutdown', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('on SIGTERM refuses new connections, finishes the requests in flight, closes the database and exits 0 within 10 s', async () => {
    const user = testUser();
    const port = Number(new URL(app.url).port);
    const exited = new Promise<number | null>((resolve) => app.process.once('exit', (code) => resolve(code)));
    // Like a load balancer's, this client keeps its connections open for as long as the server does.
    const agent = new Agent({ keepAlive: true });
    const requests = Array.from({ length: IN_FLIGHT }, () => slowInitiate(app.url, user.bearer, agent));
    // Long enough for the service to have accepted every connection and started reading each body.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const signalled = Date.now();
    app.process.kill('SIGTERM');

    expect(await waitFor(() => refused(port), 3000)).toBe(true);
    for (const slow of requests) slow.finish();
    const answers = await Promise.all(requests.map((slow) => slow.answer));
    const code = await exited;
    const took = Date.now() - signalled;
    agent.destroy();

    expect(answers.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(201));
    expect(code).toBe(0);
    expect(took).toBeLessThan(10_000);
    expect(await countCalls(app, { userId: new Types.ObjectId(user.userId) })).toBe(IN_FLIGHT);
    expect(app.output()).toContain('Closed the database connection');
  });
});
