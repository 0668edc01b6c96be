// @ts-check
'use strict';

/**
 * What the tests, the scripts and the bench all need to run a server of their own: a free port, the
 * Sinch application they trust, and a Node server started as a real process and waited for. One copy,
 * so that a fix to how a server is started or stopped reaches every caller.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');

/**
 * Sinch's published example application (its docs' worked examples use it): enough to start the
 * service and to sign callbacks it accepts, never to place a real call.
 */
const SINCH_EXAMPLE = Object.freeze({
  applicationKey: '669e367e-6bba-48ab-af15-266871c28135',
  applicationSecret: 'BeIukql3pTKJ8RGL5zo0DA==',
});

/** @returns {Promise<number>} a loopback port nobody listens on right now */
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
 * @param {string} base `mongodb://host:port/`, perhaps with options
 * @param {string} name the database to name in it
 */
function databaseUri(base, name) {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * GET on a connection of its own, closed after the answer: a pooled keep-alive connection would make
 * a stopping server wait for it.
 * @param {string} url
 * @returns {Promise<number>} the status
 */
function probe(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.setTimeout(2_000, () => request.destroy(new Error('probe timed out')));
  });
}

/**
 * Runs a Node program as its own process on a free loopback port (PORT and HOST in its environment)
 * and waits until `readyPath` answers 2xx, or answers at all with `anyStatus`. Its output goes to
 * `logFile` when given, else it is kept in memory for `output()`.
 *
 * @param {object} options
 * @param {string} options.script
 * @param {Record<string, string | undefined>} options.env the whole environment (PATH is added)
 * @param {string} [options.readyPath]
 * @param {boolean} [options.anyStatus]
 * @param {string[]} [options.nodeArgs]
 * @param {string} [options.cwd]
 * @param {string} [options.logFile]
 * @param {number} [options.timeoutMs]
 * @param {string} [options.name] for error messages
 */
async function startNodeServer({ script, env, readyPath = '/health/ready', anyStatus = false, nodeArgs = [], cwd, logFile, timeoutMs = 20_000, name = 'The service' }) {
  const port = await freePort();
  /** @type {Record<string, string>} */
  const childEnv = {};
  for (const [key, value] of Object.entries({ PATH: process.env.PATH, HOST: '127.0.0.1', ...env, PORT: String(port) })) {
    if (value !== undefined) childEnv[key] = value;
  }
  const fd = logFile ? fs.openSync(logFile, 'w') : undefined;
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd, env: childEnv, stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'] });
  if (fd !== undefined) fs.closeSync(fd);
  let kept = '';
  child.stdout?.on('data', (chunk) => (kept += chunk.toString()));
  child.stderr?.on('data', (chunk) => (kept += chunk.toString()));
  const output = () => (logFile ? readOrEmpty(logFile) : kept);
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;

  /**
   * Signals the process (SIGTERM unless told otherwise), SIGKILLs it if it is still running after
   * `killAfterMs`, and resolves with its exit code.
   * @param {NodeJS.Signals} [signal]
   * @param {number} [killAfterMs]
   */
  const stop = async (signal = 'SIGTERM', killAfterMs = 10_000) => {
    if (running()) child.kill(signal);
    const killer = setTimeout(() => running() && child.kill('SIGKILL'), killAfterMs);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running()) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} while starting:\n${tail(output())}`);
    const status = await probe(`${url}${readyPath}`).catch(() => 0);
    if (status !== 0 && (anyStatus || (status >= 200 && status < 300))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer within ${timeoutMs / 1000} s:\n${tail(output())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, port, process: child, exited, output, stop };
}

/** @param {string} file */
function readOrEmpty(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** @param {string} text */
const tail = (text) => text.trimEnd().split('\n').slice(-30).join('\n') || '(no output)';

module.exports = { SINCH_EXAMPLE, databaseUri, freePort, startNodeServer };
