#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run dev`: runs the service in watch mode with no setup. Without MONGODB_URI it starts the local
 * database (data kept in .data/db across restarts) and fills unset settings from dev-defaults.js.
 */

const { spawn } = require('node:child_process');
const path = require('node:path');
const { startDatabase } = require('./database');
const { DEV_DEFAULTS } = require('./dev-defaults');
const { warnWhenCollectionsOutgrow } = require('./lib/embedded-limits');

const ROOT = path.join(__dirname, '..');
const STOP_TIMEOUT_MS = 10_000;

async function main() {
  /** @type {import('./database').Database | undefined} */
  let database;
  if (!process.env.MONGODB_URI) {
    database = await startDatabase({ dataDir: path.join(ROOT, '.data', 'db') });
    process.env.MONGODB_URI = `${database.uri}calls`;
    console.error(`[dev] ${database.kind} started: MONGODB_URI=${process.env.MONGODB_URI} (data in .data/db)`);
  }
  // Only FerretDB reads whole collections; mongod (or mongodb-memory-server's) serves them from indexes.
  const sizeWatch = database?.kind === 'ferretdb' ? warnWhenCollectionsOutgrow({ uri: process.env.MONGODB_URI, log: console.error }) : undefined;
  for (const [name, value] of Object.entries(DEV_DEFAULTS)) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
  const port = process.env.PORT;

  // Nest runs the app under `sh -c`, and the shell does not pass a signal on: stopping the CLI alone
  // would leave the app running. In a process group of its own, CLI, shell and app stop together.
  const nest = spawn(path.join(ROOT, 'node_modules', '.bin', 'nest'), ['start', '--watch', 'calls-service'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: process.env,
    detached: true,
  });
  const group = /** @type {number} */ (nest.pid);
  process.on('exit', () => signalGroup(group, 'SIGTERM'));

  let stopping = false;
  /** @type {NodeJS.Timeout | undefined} */
  let announcer;
  /** @param {number} code */
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(announcer);
    // The app first, so that it does not lose its database while still shutting down.
    await stopGroup(group);
    await sizeWatch?.stop();
    await database?.stop();
    process.exit(code);
  };
  /** @param {number} code */
  const onSignal = (code) => {
    // A second Ctrl-C means "now": exiting sends SIGTERM to the app and the database without waiting.
    if (stopping) process.exit(code);
    shutdown(code);
  };
  process.on('SIGINT', () => onSignal(130));
  process.on('SIGTERM', () => onSignal(143));
  process.on('SIGHUP', () => onSignal(129));
  nest.on('exit', (code) => shutdown(code ?? 1));
  database?.exited.then(() => {
    if (!stopping) console.error(`[dev] ${database?.kind} exited unexpectedly; stopping.`);
    shutdown(1);
  });

  // Nest's build output would bury a banner printed now, so print it once the server first answers.
  const announceWhenListening = async () => {
    try {
      await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(1000) });
      console.error(
        `\n[dev] Swagger UI: http://localhost:${port}/api/docs\n` +
          '[dev] Get a token: npm run token -- --org <24-hex org id> --user <24-hex user id>\n',
      );
    } catch {
      if (!stopping) announcer = setTimeout(announceWhenListening, 1000);
    }
  };
  announcer = setTimeout(announceWhenListening, 1000);
}

/**
 * SIGTERM to the whole group, SIGKILL if any of it lingers; resolves once none of it is left.
 * @param {number} group
 */
async function stopGroup(group) {
  signalGroup(group, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (signalGroup(group, 0)) {
    if (Date.now() > deadline) {
      signalGroup(group, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * @param {number} group
 * @param {NodeJS.Signals | 0} signal 0 only asks whether any process of the group is left
 * @returns {boolean} whether any process received it
 */
function signalGroup(group, signal) {
  try {
    process.kill(-group, signal);
    return true;
  } catch {
    return false;
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
