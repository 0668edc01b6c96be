// @ts-check
'use strict';

/** Schemathesis for `npm run fuzz`: the pinned version in its own venv, and one run against a URL. */

const { spawn } = require('node:child_process');
const readline = require('node:readline');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { run } = require('../database');
const { SINCH_EXAMPLE } = require('../lib/service');

const ROOT = path.join(__dirname, '..', '..');
const SPEC = path.join(ROOT, 'openapi.yaml');
const FUZZ_DIR = path.join(ROOT, 'tools', 'fuzz');
const REQUIREMENTS = path.join(FUZZ_DIR, 'requirements.txt');
const CONFIG = path.join(FUZZ_DIR, 'schemathesis.toml');
const VENV = path.join(ROOT, '.venv-fuzz');
const SCHEMATHESIS = path.join(VENV, 'bin', 'schemathesis');
/** A copy of the requirements the venv was built from: when it differs, the venv is rebuilt. */
const INSTALLED_REQUIREMENTS = path.join(VENV, 'installed-requirements.txt');

/**
 * Builds .venv-fuzz/ with the pinned Schemathesis unless it already holds exactly that.
 * @param {(message: string) => void} log
 * @returns {Promise<string>} the schemathesis executable
 */
async function ensureSchemathesis(log) {
  const wanted = await fsp.readFile(REQUIREMENTS, 'utf8');
  const installed = await fsp.readFile(INSTALLED_REQUIREMENTS, 'utf8').catch(() => null);
  if (installed === wanted && fs.existsSync(SCHEMATHESIS)) return SCHEMATHESIS;

  const python = process.env.PYTHON || 'python3';
  log(`Installing ${pins(wanted)} into ${path.relative(ROOT, VENV)}/ ...`);
  await fsp.rm(VENV, { recursive: true, force: true });
  await run(python, ['-m', 'venv', VENV], ROOT, process.env);
  const pip = path.join(VENV, 'bin', 'pip');
  await run(pip, ['install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', REQUIREMENTS], ROOT, process.env);
  await fsp.writeFile(INSTALLED_REQUIREMENTS, wanted);
  return SCHEMATHESIS;
}

/** @param {string} requirements the text of a requirements file */
function pins(requirements) {
  return requirements
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .join(', ');
}

/**
 * @param {string} schemathesis
 * @param {string} url
 * @param {string} auth
 * @param {string[]} extraArgs passed on to `schemathesis run`
 * @param {(message: string) => void} log
 * @returns {Promise<number>} its exit code
 */
function runSchemathesis(schemathesis, url, auth, extraArgs, log) {
  // Every check runs: Schemathesis enables them all unless the config narrows one. (`--checks all`
  // would also override that narrowing, reason and all.)
  const args = ['--config-file', CONFIG, 'run', SPEC, '--url', url, ...extraArgs];
  log(`schemathesis ${args.map((arg) => (arg.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, arg) : arg)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      CALLS_FUZZ_AUTH_FILE: auth,
      CALLS_FUZZ_SINCH_KEY: SINCH_EXAMPLE.applicationKey,
      CALLS_FUZZ_SINCH_SECRET: SINCH_EXAMPLE.applicationSecret,
    };
    const child = spawn(schemathesis, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
    readline.createInterface({ input: child.stdout }).on('line', (line) => process.stdout.write(`${unbannered(line)}\n`));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Schemathesis closes with a pytest-style banner ("=== 1 warning in 35.68s ===") that CI reads as a
 * pytest run that executed no test, ahead of `npm test`'s own closing line. The banners are
 * printed as plain headings instead, with the same words.
 * @param {string} line
 */
function unbannered(line) {
  const banner = /^=+ (.+?) =+$/.exec(line);
  return banner ? `-- ${banner[1].replace(/ in ([\d.]+)s$/, ' (took $1 s)')} --` : line;
}

module.exports = { ensureSchemathesis, runSchemathesis };
