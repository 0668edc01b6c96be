// @ts-check
'use strict';

/**
 * Starting and stopping the processes a benchmark run needs, so that every one of them is stopped
 * however the run ends: normally, on an error, or on Ctrl-C.
 */

const { spawn } = require('node:child_process');
const path = require('node:path');
const { startNodeServer } = require('../../scripts/lib/service');

const ROOT = path.join(__dirname, '..', '..');
const START_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 5_000;

/** @type {(() => Promise<void>)[]} */
const cleanups = [];
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/** Registers something to undo at the end of the run; undone last first. */
function onCleanup(/** @type {() => Promise<void>} */ fn) {
  cleanups.push(fn);
}

async function cleanUp() {
  while (cleanups.length > 0) {
    const fn = /** @type {() => Promise<void>} */ (cleanups.pop());
    try {
      await fn();
    } catch (error) {
      console.error(`cleanup: ${error instanceof Error ? error.message : error}`);
    }
  }
}

// A last resort: whatever still runs when this process exits is killed outright.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

let interrupted = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${signal}: stopping everything this run started...`);
    cleanUp().finally(() => process.exit(130));
  });
}

/**
 * @typedef {object} Server
 * @property {string} name
 * @property {string} url
 * @property {number} pid
 * @property {string} logFile
 * @property {() => Promise<void>} stop
 */

/**
 * Runs a Node program on a free loopback port and waits until it answers HTTP.
 * @param {{ name: string, script: string, nodeArgs?: string[], env: Record<string, string>, logDir: string, readyPath: string }} options
 * @returns {Promise<Server>}
 */
async function startServer({ name, script, nodeArgs = [], env, logDir, readyPath }) {
  const logFile = path.join(logDir, `${name}.log`);
  const server = await startNodeServer({ name, script, nodeArgs, env, cwd: ROOT, logFile, readyPath, anyStatus: true, timeoutMs: START_TIMEOUT_MS });
  children.add(server.process);
  server.exited.then(() => children.delete(server.process));
  const stop = async () => {
    await server.stop('SIGTERM', KILL_AFTER_MS);
  };
  onCleanup(stop);
  return { name, url: server.url, pid: /** @type {number} */ (server.process.pid), logFile, stop };
}

/**
 * Runs a command to completion, its output passed through; rejects when it fails.
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    children.add(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (code === 0) resolve(undefined);
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${code ?? signal})`));
    });
  });
}

module.exports = { ROOT, onCleanup, cleanUp, startServer, run };
