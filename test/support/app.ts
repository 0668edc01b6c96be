import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mongoose, { Connection } from 'mongoose';
import { databaseUri as withDatabase, SINCH_EXAMPLE, startNodeServer } from '../../scripts/lib/service';

export { freePort } from '../../scripts/lib/service';

export const TEST_JWT_SECRET = 'calls-service-test-secret-0123456789';
export const TEST_CALLER_ID = '+14165550100';
/** The Sinch application the test service trusts (Sinch's published example credentials). */
export const TEST_SINCH = SINCH_EXAMPLE;

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src', 'main.js');

export interface RunningApp {
  url: string;
  /** Its MONGODB_URI, for a second process on the same database. */
  uri: string;
  /** The app's own database (its MONGODB_URI), for arranging data and checking what was written. */
  db: Connection;
  /** Everything the process printed, for assertions on logs and for failure messages. */
  output: () => string;
  /** Empties every collection, so each test starts from nothing. */
  clean: () => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  process: ChildProcess;
}

export function databaseUri(name: string): string {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: run the tests through jest, whose global setup starts a database');
  return withDatabase(base, name);
}

export interface StartOptions {
  /** What to wait for: `ready` (the default) until it can serve requests, `live` until it answers at all. */
  waitFor?: 'ready' | 'live';
  /** The script to run instead of the built main.js (a launcher that builds the app differently). */
  script?: string;
}

/**
 * Starts the built service (dist/) as its own process against its own database, exactly as
 * `npm run start:prod` would, and waits until it is ready (or only live).
 */
export async function startApp(env: Record<string, string | undefined> = {}, { waitFor = 'ready', script = MAIN }: StartOptions = {}): Promise<RunningApp> {
  const appEnv: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    MONGODB_URI: databaseUri(`calls_test_${randomBytes(6).toString('hex')}`),
    JWT_SECRET: TEST_JWT_SECRET,
    DEFAULT_CALLER_ID: TEST_CALLER_ID,
    SINCH_APPLICATION_KEY: TEST_SINCH.applicationKey,
    SINCH_APPLICATION_SECRET: TEST_SINCH.applicationSecret,
    ...env,
  };
  const server = await startNodeServer({ script, env: appEnv, readyPath: waitFor === 'ready' ? '/health/ready' : '/health', name: 'The app' });
  // The app's own database, wherever MONGODB_URI points. An app started only live may not reach it yet,
  // so its connection is made when a test first asks for it.
  const appDatabase = appEnv.MONGODB_URI as string;
  let db = waitFor === 'ready' ? await mongoose.createConnection(appDatabase).asPromise() : undefined;
  const connection = () => (db ??= mongoose.createConnection(appDatabase));

  return {
    url: server.url,
    uri: appDatabase,
    get db() {
      return connection();
    },
    output: server.output,
    process: server.process,
    clean: async () => {
      const collections = await connection().db!.collections();
      await Promise.all(collections.map((collection) => collection.deleteMany({})));
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      // No SIGKILL behind the signal: the shutdown tests time the service's own deadline.
      const code = await server.stop(signal, 60_000);
      if (db) {
        await db.dropDatabase().catch(() => undefined);
        await db.close();
      }
      return code;
    },
  };
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
