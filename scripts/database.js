// @ts-check
'use strict';

/**
 * Starts a MongoDB-wire database for development and tests, so that neither needs a MongoDB server
 * to be installed or running. In order of preference:
 *   1. `mongod` from PATH: the real thing, when the machine has it;
 *   2. FerretDB over SQLite, built once from source with Go and cached: needs only the Go module proxy;
 *   3. mongodb-memory-server, which downloads a real mongod and so needs the internet.
 */

const { execFile, spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { freePort } = require('./lib/service');

const FERRETDB_WRAPPER = path.join(__dirname, '..', 'tools', 'ferretdb');
const FERRETDB_VERSION = 'v1.24.2';
const READY_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 5_000;
const PORT_ATTEMPTS = 3;

/** @typedef {'mongod' | 'ferretdb' | 'mongodb-memory-server'} DatabaseKind */

/**
 * @typedef {object} Database
 * @property {string} uri `mongodb://127.0.0.1:<port>/`, without a database name: append your own.
 * @property {DatabaseKind} kind Which server is answering.
 * @property {(signal?: NodeJS.Signals) => Promise<void>} stop Stops the server (SIGTERM unless another
 *   signal is given: SIGKILL simulates a crash); resolves once its process has exited.
 * @property {Promise<void>} exited Resolves when the server process exits, whether stopped or crashed.
 */

/**
 * @param {{ dataDir: string, port?: number, log?: (message: string) => void }} options
 *   `dataDir` holds the server's files (created if missing); `port` is a free one unless given (giving
 *   the port of a stopped server restarts it where its clients expect it); `log` receives progress.
 * @returns {Promise<Database>}
 */
async function startDatabase({ dataDir, port, log = console.error }) {
  dataDir = path.resolve(dataDir);
  await fsp.mkdir(dataDir, { recursive: true });

  const mongod = findExecutable('mongod');
  if (mongod) {
    return startServer('mongod', dataDir, port, (port) => [
      mongod,
      ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1'],
    ]);
  }

  const ferretdb = await ferretdbBinary(log);
  if (ferretdb) {
    // FerretDB pastes the decoded path back into SQLite URLs, so these characters break or misplace files.
    if (/[#?%]/.test(dataDir)) throw new Error(`FerretDB cannot keep data in a path containing #, ? or %: ${dataDir}`);
    return startServer('ferretdb', dataDir, port, (port) => [
      ferretdb,
      [
        // FerretDB insists on a file: URL naming an existing directory, with the trailing slash.
        `--sqlite-url=${pathToFileURL(dataDir).href}/`,
        `--listen-addr=127.0.0.1:${port}`,
        // At warn it logs every failed command with a full wire dump (duplicate keys, the driver's
        // endSessions); startup failures such as a taken port are logged at error and up.
        '--log-level=error',
      ],
    ]);
  }

  return startMemoryServer(dataDir, port);
}

/**
 * Runs a server binary on a free port and waits until it answers.
 * @param {'mongod' | 'ferretdb'} kind
 * @param {string} dataDir
 * @param {number | undefined} fixedPort
 * @param {(port: number) => [string, string[]]} commandFor
 * @returns {Promise<Database>}
 */
async function startServer(kind, dataDir, fixedPort, commandFor) {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    const [command, args] = commandFor(port);
    try {
      return await launch(kind, command, args, port, path.join(dataDir, `${kind}.log`));
    } catch (error) {
      // Between freePort() releasing the port and the server binding it, another process may take it.
      const portTaken = error instanceof Error && /address already in use/i.test(error.message);
      if (!portTaken || fixedPort !== undefined || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/**
 * @param {'mongod' | 'ferretdb'} kind
 * @param {string} command
 * @param {string[]} args
 * @param {number} port
 * @param {string} logFile receives the server's output, which is noisy but needed when it fails
 * @returns {Promise<Database>}
 */
async function launch(kind, command, args, port, logFile) {
  const output = fs.openSync(logFile, 'w');
  const child = spawn(command, args, { stdio: ['ignore', output, output] });
  fs.closeSync(output);

  // Without this, a parent that exits without calling stop() would leave the server running.
  const stopOnExit = () => child.kill('SIGTERM');
  process.on('exit', stopOnExit);

  let running = true;
  /** @type {Error | undefined} */
  let spawnError;
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => {
    const done = () => {
      running = false;
      process.off('exit', stopOnExit);
      resolve();
    };
    child.once('exit', done);
    child.once('error', (error) => {
      spawnError = error;
      done();
    });
  });

  /** @param {NodeJS.Signals} [signal] */
  const stop = async (signal = 'SIGTERM') => {
    if (running) {
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(killer);
    }
  };

  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitUntilAnswering(uri, () => running);
  } catch (error) {
    const died = !running;
    await stop();
    const reason = spawnError
      ? `could not be started: ${spawnError.message}`
      : died
        ? `exited during startup (${child.exitCode ?? child.signalCode})`
        : `did not answer on ${uri} within ${READY_TIMEOUT_MS / 1000} s (${errorMessage(error)})`;
    throw new Error(`${kind} ${reason}. Its output (${logFile}):\n${await tail(logFile)}`);
  }

  return { uri, kind, stop, exited };
}

/**
 * @param {string} dataDir
 * @param {number | undefined} port
 * @returns {Promise<Database>}
 */
async function startMemoryServer(dataDir, port) {
  /** @type {import('mongodb-memory-server-core').MongoMemoryServer} */
  let server;
  try {
    // Loaded only here: it is heavy, and a devDependency the other paths do not need.
    const { MongoMemoryServer } = require('mongodb-memory-server-core');
    server = await MongoMemoryServer.create({
      instance: { dbPath: dataDir, ip: '127.0.0.1', port: port ?? (await freePort()), storageEngine: 'wiredTiger' },
    });
  } catch (error) {
    throw new Error(
      'No mongod on PATH, no FerretDB (building it needs Go), and mongodb-memory-server failed ' +
        `(it downloads mongod, so it needs the internet): ${errorMessage(error)}\n` +
        'Install mongod or Go, or set MONGODB_URI to a database you run yourself.',
    );
  }

  const info = server.instanceInfo;
  const child = info?.instance.mongodProcess;
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => {
    if (child && child.exitCode === null) child.once('exit', () => resolve());
    else resolve();
  });
  /** @param {NodeJS.Signals} [signal] */
  const stop = async (signal = 'SIGTERM') => {
    if (signal !== 'SIGTERM') child?.kill(signal);
    // The default cleanup removes only directories it created itself, never our dbPath.
    await server.stop();
    await exited;
  };
  const uri = `mongodb://127.0.0.1:${info?.port}/`;
  try {
    await waitUntilAnswering(uri, () => child?.exitCode === null);
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, kind: 'mongodb-memory-server', stop, exited };
}

/**
 * A port number being listened on is not proof of readiness: mongod accepts connections before it can
 * serve them. So ping until it answers.
 * @param {string} uri
 * @param {() => boolean} isRunning
 */
async function waitUntilAnswering(uri, isRunning) {
  // mongoose bundles the driver; using it spares a dependency of our own.
  const { MongoClient } = require('mongoose').mongo;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new MongoClient(uri, { directConnection: true, serverSelectionTimeoutMS: 500 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (error) {
      if (!isRunning() || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await client.close().catch(() => {});
    }
  }
}

/**
 * Returns the cached FerretDB binary, building it first if Go is available; undefined when neither.
 * The cache key includes a digest of tools/ferretdb, so a change there builds afresh.
 * @param {(message: string) => void} log
 * @returns {Promise<string | undefined>}
 */
async function ferretdbBinary(log) {
  const cacheHome = path.resolve(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'));
  const binary = path.join(cacheHome, 'calls-service', `ferretdb-${FERRETDB_VERSION}-${await wrapperDigest()}`, 'ferretdb');
  if (isExecutable(binary)) return binary;

  const go = findExecutable('go');
  if (!go) return undefined;
  log(`Building FerretDB ${FERRETDB_VERSION} into ${path.dirname(binary)} (about a minute, first time only)...`);
  try {
    await buildFerretdb(go, binary);
    log('FerretDB built.');
    return binary;
  } catch (error) {
    log(`Could not build FerretDB: ${errorMessage(error)}`);
    return undefined;
  }
}

async function wrapperDigest() {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(await fsp.readFile(path.join(FERRETDB_WRAPPER, file)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * Builds tools/ferretdb, a small wrapper around FerretDB's embeddable package. (The upstream command,
 * built with `go install`, panics at start: its version file is generated only by its own release
 * tooling, and the check is skipped when FerretDB is embedded.)
 * @param {string} go
 * @param {string} binary
 */
async function buildFerretdb(go, binary) {
  await fsp.mkdir(path.dirname(binary), { recursive: true });
  // Build to a private name on the same filesystem, then rename: concurrent builds never expose a
  // half-written binary, and whichever rename lands last just replaces an identical file.
  const partial = `${binary}.${process.pid}.partial`;
  // A go.work further up or the user's GOFLAGS (-mod=vendor, say) would change what gets built.
  const env = { ...process.env, GOWORK: 'off', GOFLAGS: '-buildvcs=false -mod=readonly' };
  try {
    await run(go, ['build', '-trimpath', '-o', partial, '.'], FERRETDB_WRAPPER, env);
    await fsp.rename(partial, binary);
  } finally {
    await fsp.rm(partial, { force: true });
  }
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {string} cwd
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<string>} stdout
 */
function run(command, args, cwd, env) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(command)} ${args.join(' ')} failed:\n${stderr}${stdout}`.trim()));
      else resolve(stdout);
    });
  });
}

/**
 * @param {string} name
 * @returns {string | undefined} its path, like `command -v`
 */
function findExecutable(name) {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * @param {string} file
 * @returns {Promise<string>} the last lines of the file, enough to show why a server died
 */
async function tail(file) {
  const text = await fsp.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-30).join('\n') || '(no output)';
}

/** @param {unknown} error */
function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

module.exports = { run, startDatabase };
