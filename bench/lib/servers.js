// @ts-check
'use strict';

/**
 * Starting and stopping the processes a benchmark run needs, so that every one of them is stopped
 * however the run ends: normally, on an error, or on Ctrl-C.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

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

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
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
  const port = await freePort();
  const logFile = path.join(logDir, `${name}.log`);
  const output = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', output, output],
  });
  fs.closeSync(output);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then(() => children.delete(child));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(killer);
  };
  onCleanup(stop);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} while starting; see ${logFile}:\n${tail(logFile)}`);
    try {
      await fetch(`${url}${readyPath}`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not answer within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { name, url, pid: /** @type {number} */ (child.pid), logFile, stop };
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

/** @param {string} file */
function tail(file) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  } catch {
    return '(no output)';
  }
}

module.exports = { ROOT, onCleanup, cleanUp, startServer, run };
