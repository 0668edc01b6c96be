import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mongoose, { Connection } from 'mongoose';

export const TEST_JWT_SECRET = 'calls-service-test-secret-0123456789';
export const TEST_CALLER_ID = '+14165550100';
/** The Sinch application the test service trusts (Sinch's published example credentials). */
export const TEST_SINCH = { applicationKey: '669e367e-6bba-48ab-af15-266871c28135', applicationSecret: 'BeIukql3pTKJ8RGL5zo0DA==' };

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src', 'main.js');
const START_TIMEOUT_MS = 20_000;

export interface RunningApp {
  url: string;
  /** The app's own database (its MONGODB_URI), for arranging data and checking what was written. */
  db: Connection;
  /** Everything the process printed, for assertions on logs and for failure messages. */
  output: () => string;
  /** Empties every collection, so each test starts from nothing. */
  clean: () => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  process: ChildProcess;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function databaseUri(name: string): string {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: run the tests through jest, whose global setup starts a database');
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface StartOptions {
  /** What to wait for: `ready` (the default) until it can serve requests, `live` until it answers at all. */
  waitFor?: 'ready' | 'live';
}

/**
 * Starts the built service (dist/) as its own process against its own database, exactly as
 * `npm run start:prod` would, and waits until it is ready (or only live).
 */
export async function startApp(env: Record<string, string | undefined> = {}, { waitFor = 'ready' }: StartOptions = {}): Promise<RunningApp> {
  const port = await freePort();
  const database = `calls_test_${randomBytes(6).toString('hex')}`;
  const appEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    PORT: String(port),
    MONGODB_URI: databaseUri(database),
    JWT_SECRET: TEST_JWT_SECRET,
    DEFAULT_CALLER_ID: TEST_CALLER_ID,
    SINCH_APPLICATION_KEY: TEST_SINCH.applicationKey,
    SINCH_APPLICATION_SECRET: TEST_SINCH.applicationSecret,
    ...env,
  })) {
    if (value !== undefined) appEnv[key] = value;
  }
  const child = spawn(process.execPath, [MAIN], { env: appEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}${waitFor === 'ready' ? '/health/ready' : '/health'}`, child, () => output);
  // The app's own database, wherever MONGODB_URI points. An app started only live may not reach it yet,
  // so its connection is made when a test first asks for it.
  const appDatabase = appEnv.MONGODB_URI;
  let db = waitFor === 'ready' ? await mongoose.createConnection(appDatabase).asPromise() : undefined;
  const connection = () => (db ??= mongoose.createConnection(appDatabase));

  return {
    url,
    get db() {
      return connection();
    },
    output: () => output,
    process: child,
    clean: async () => {
      const collections = await connection().db!.collections();
      await Promise.all(collections.map((collection) => collection.deleteMany({})));
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      if (db) {
        await db.dropDatabase().catch(() => undefined);
        await db.close();
      }
      return code;
    },
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The app exited with ${child.exitCode}:\n${output()}`);
    try {
      // Without `close`, fetch keeps this connection open for the server's keep-alive hint (72 s), and a
      // stopping app waits for it: any test file that runs longer than a few seconds would stall in stop().
      const response = await fetch(url, { headers: { connection: 'close' } });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`The app did not answer within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

/** Runs the built service with the given environment and resolves with its exit code and output. */
export function runAppToExit(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The app did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
