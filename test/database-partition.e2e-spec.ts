import { createServer, Server, Socket, connect } from 'node:net';
import { RunningApp, startApp } from './support/app';
import { testUser } from './support/auth';

const INITIATE = '/api/calls/sdk/initiate';
/** "Within about 2 seconds", with room for a busy two-core machine. */
const ANSWER_WITHIN_MS = 3000;

/**
 * A TCP relay between the app and the test database that can go silent: connections stay open, and
 * whatever is sent is dropped, as across a network partition (no RST, no FIN, as a killed server gives).
 */
async function startRelay(target: URL): Promise<{ port: number; partition: (silent: boolean) => void; close: () => Promise<void> }> {
  let silent = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('The relay has no port');
  return {
    port: address.port,
    partition: (value) => (silent = value),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, ms: Date.now() - started };
}

// Found while building the first version (issue 16, item 9): with no socket or operation timeout, a
// request whose database went silent waited for the driver's own detection, tens of seconds.
describe('Database partition (the network goes silent)', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let app: RunningApp;

  beforeAll(async () => {
    const database = new URL(process.env.MONGODB_URI ?? '');
    relay = await startRelay(database);
    app = await startApp({ MONGODB_URI: `mongodb://127.0.0.1:${relay.port}/calls_partition_${Date.now()}` });
  });
  afterAll(async () => {
    relay.partition(false);
    await app.stop();
    await relay.close();
  });

  it('answers every request within about 2 s with 503, and serves again once the network is back', async () => {
    const user = testUser();
    const post = () =>
      timed(`${app.url}${INITIATE}`, {
        method: 'POST',
        headers: { Authorization: user.bearer, 'Content-Type': 'application/json' },
        body: JSON.stringify({ phoneNumber: '+14165550199' }),
      });
    expect((await post()).status).toBe(201);

    relay.partition(true);
    const during = await Promise.all([post(), post(), timed(`${app.url}/api/contacts`, { headers: { Authorization: user.bearer } })]);
    relay.partition(false);

    for (const answer of during) {
      expect(answer.body).toEqual({ success: false, statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
      expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    let after = await post();
    for (let attempt = 0; attempt < 50 && after.status !== 201; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await post();
    }
    expect(after.status).toBe(201);
  });
});
