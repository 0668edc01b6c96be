#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm test`: every check CI runs, in order, then one plain closing line that CI reads:
 *
 *   Tests: N passed, M failed
 *
 * N and M add up Jest's tests (from its JSON report) and the contract fuzzer's cases (from
 * Schemathesis's JUnit report). A step that fails before it can report (the type checker, the
 * OpenAPI lint, the build, a runner that crashed) counts as one failed test, so a broken build can
 * never close with "0 failed". Steps after a failed one still run where they can, so one run shows
 * everything that is wrong; the exit code is 1 when anything failed.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const REPORTS = path.join(ROOT, '.test-results');
const JEST_REPORT = path.join(REPORTS, 'jest.json');
const FUZZ_REPORT = path.join(REPORTS, 'fuzz-junit.xml');

/** @typedef {{ passed: number, failed: number }} Count */

/**
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<number>} the exit code
 */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`${command}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const npm = (/** @type {string[]} */ ...args) => run('npm', ['run', '-s', ...args]);

/** @param {string} file */
function readReport(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** @returns {Count | null} Jest's own counts, or null when it wrote no report. */
function jestCount() {
  const text = readReport(JEST_REPORT);
  if (text === null) return null;
  const report = JSON.parse(text);
  // A suite that fails to load has no tests in the count but fails all the same.
  const brokenSuites = report.testResults.filter((/** @type {{ status: string, assertionResults: unknown[] }} */ suite) => suite.status === 'failed' && suite.assertionResults.length === 0).length;
  return { passed: report.numPassedTests, failed: report.numFailedTests + brokenSuites };
}

/** @returns {Count | null} Schemathesis's cases (one per operation, and the stateful run), or null without a report. */
function fuzzCount() {
  const text = readReport(FUZZ_REPORT);
  if (text === null) return null;
  const cases = (text.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? []).filter((testCase) => !/<skipped\b/.test(testCase));
  const failed = cases.filter((testCase) => /<(failure|error)\b/.test(testCase)).length;
  return { passed: cases.length - failed, failed };
}

/**
 * Adds a runner's counts; a runner that failed without a report, or whose exit code says it failed
 * while its report counts no failure, adds one failure.
 * @param {Count} total
 * @param {Count | null} count
 * @param {number} code
 */
function add(total, count, code) {
  total.passed += count?.passed ?? 0;
  total.failed += count?.failed ?? 0;
  if (code !== 0 && (count === null || count.failed === 0)) total.failed += 1;
}

async function main() {
  fs.rmSync(REPORTS, { recursive: true, force: true });
  fs.mkdirSync(REPORTS, { recursive: true });
  /** @type {Count} */
  const total = { passed: 0, failed: 0 };

  for (const step of ['typecheck', 'lint:openapi']) add(total, null, await npm(step));
  const built = await npm('build');
  add(total, null, built);
  if (built === 0) {
    const jest = await run(process.execPath, [require.resolve('jest/bin/jest'), '--ci', '--json', `--outputFile=${JEST_REPORT}`]);
    add(total, jestCount(), jest);
    const fuzz = await npm('fuzz', '--', '--report', 'junit', '--report-junit-path', FUZZ_REPORT);
    add(total, fuzzCount(), fuzz);
  }

  console.log(`Tests: ${total.passed} passed, ${total.failed} failed`);
  process.exitCode = total.failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  console.log('Tests: 0 passed, 1 failed');
  process.exitCode = 1;
});
