#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `node bench/profile.js`: where a server spends its CPU under a scenario's load. Starts the same
 * database and data as `npm run bench`, runs one server under `node --cpu-prof`, warms it up, loads
 * each chosen scenario in turn, and summarises the samples taken during each load window (start-up
 * and warm-up are left out) by package and by function.
 *
 * Settings (environment), besides those of bench/run.js that apply:
 *   PROFILE_TARGET     ours (default) or baseline
 *   BENCH_SCENARIOS    default initiate-phone,initiate-contact
 *   BENCH_DURATION_S   seconds of profiled load per scenario (default 15)
 */

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { format, summarise } = require('./lib/cpuprofile');
const { loadWindow } = require('./lib/load');
const { scenarios } = require('./lib/scenarios');
const { ROOT, cleanUp } = require('./lib/servers');
const { prepare, startNamedServer, workDirectory } = require('./lib/setup');

const target = process.env.PROFILE_TARGET === 'baseline' ? 'baseline' : 'ours';
const wanted = (process.env.BENCH_SCENARIOS || 'initiate-phone,initiate-contact').split(',').map((s) => s.trim());
const seconds = Number(process.env.BENCH_DURATION_S || 15);
const warmup = Number(process.env.BENCH_WARMUP_S || 5);
const connections = Number(process.env.BENCH_CONNECTIONS || 10);

const log = (/** @type {string} */ message) => console.error(`[profile ${new Date().toISOString().slice(11, 19)}] ${message}`);
/** Microseconds on the monotonic clock, the clock V8 stamps profile samples with. */
const now = () => Number(process.hrtime.bigint() / 1000n);

async function main() {
  const workDir = await workDirectory('profile');
  const { uri, fixtures } = await prepare({ build: process.env.BENCH_SKIP_BUILD !== '1', log });
  const server = await startNamedServer(target, {
    uri,
    logDir: workDir,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${workDir}`, '-r', path.join(__dirname, 'lib', 'exit-on-sigterm.js')],
  });
  const chosen = scenarios(fixtures).filter((s) => wanted.includes(s.id));
  /** @type {{ id: string, from: number, to: number, rps: number }[]} */
  const windows = [];
  for (const scenario of chosen) {
    await scenario.reset();
    await loadWindow(server, scenario, { seconds: warmup, connections, dbPid: null });
    await scenario.reset();
    const from = now();
    const result = await loadWindow(server, scenario, { seconds, connections, dbPid: null });
    windows.push({ id: scenario.id, from, to: now(), rps: result.rps });
    log(`${scenario.id}: ${result.rps.toFixed(0)} req/s, ${result.cpuSecondsPer1000.toFixed(3)} CPU s per 1,000 requests`);
    await scenario.reset();
  }
  await server.stop();

  const file = fs.readdirSync(workDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile was written in ${workDir}`);
  const profile = JSON.parse(await fsp.readFile(path.join(workDir, file), 'utf8'));
  const report = [];
  for (const window of windows) {
    report.push(`## ${target}: ${window.id} (${window.rps.toFixed(0)} req/s)`, '', format(summarise(profile, ROOT, window)), '');
  }
  const text = report.join('\n');
  await fsp.writeFile(path.join(workDir, `${target}.txt`), text);
  console.log(text);
  log(`profile: ${path.relative(process.cwd(), path.join(workDir, file))} (open it in Chrome DevTools > Performance)`);
}

main()
  .then(cleanUp)
  .catch(async (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanUp();
    process.exitCode = 1;
  });
