// @ts-check
'use strict';

const autocannon = /** @type {(options: object) => Promise<any>} */ (require('autocannon'));
const { cpuSeconds, memory, resetPeakRss, sampleRss } = require('./proc');

/**
 * @typedef {object} Window
 * @property {number} requests answers with the expected status
 * @property {number} unexpected answers with another status, errors and timeouts
 * @property {number} seconds
 * @property {number} rps
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number} cpuSeconds the server process's user + system CPU over the window
 * @property {number} cpuSecondsPer1000 CPU seconds per 1,000 answered requests
 * @property {number | null} dbCpuSeconds the database process's, when known
 * @property {number} loadCpuSeconds the load generator's (this process)
 * @property {number} peakRssBytes
 * @property {number} drainSeconds how long the background work went on after the load (its CPU is counted)
 */

/**
 * Loads one server with one scenario's request for `seconds`, and reads what it cost the server.
 * @param {{ url: string, pid: number }} server
 * @param {import('./scenarios').Scenario} scenario
 * @param {{ seconds: number, connections: number, dbPid: number | null }} options
 * @returns {Promise<Window>}
 */
async function loadWindow(server, scenario, { seconds, connections, dbPid }) {
  const { request } = scenario;
  const peakResettable = resetPeakRss(server.pid);
  const rss = sampleRss(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const dbBefore = dbPid ? cpuSeconds(dbPid) : null;
  const loadBefore = process.cpuUsage();

  const result = await autocannon({
    url: `${server.url}${request.path}`,
    method: /** @type {any} */ (request.method),
    headers: request.headers,
    body: request.body,
    // Each connection cycles through the scenario's users.
    ...(scenario.agents.length > 0
      ? { requests: scenario.agents.map((authorization) => ({ headers: { ...request.headers, authorization } })) }
      : {}),
    connections,
    pipelining: 1,
    duration: seconds,
  });
  // The work the requests left to the background (the event relay) is part of what they cost.
  const drainStart = performance.now();
  if (scenario.drained) await scenario.drained();
  const drainSeconds = (performance.now() - drainStart) / 1000;

  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const db = dbPid && dbBefore !== null ? cpuSeconds(dbPid) - dbBefore : null;
  const load = process.cpuUsage(loadBefore);
  const sampledPeak = rss.stop();
  const peakRssBytes = Math.max(sampledPeak, peakResettable ? memory(server.pid).peakRssBytes : 0);

  // Every scenario expects a 2xx; autocannon times only those, and counts the rest here.
  const requests = result['2xx'];
  const unexpected = result.non2xx + result.errors + result.timeouts;
  return {
    requests,
    unexpected,
    seconds: result.duration,
    rps: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuSeconds: cpu,
    cpuSecondsPer1000: requests > 0 ? (cpu * 1000) / requests : NaN,
    dbCpuSeconds: db,
    loadCpuSeconds: (load.user + load.system) / 1e6,
    peakRssBytes,
    drainSeconds,
  };
}

/**
 * @typedef {object} DatabaseWindow
 * @property {number} requests
 * @property {number} seconds
 * @property {number} rps
 * @property {number} p50Ms
 * @property {number} p99Ms
 * @property {number | null} dbCpuSeconds
 */

/**
 * Runs a scenario's database operations straight from the driver, `connections` at a time, for
 * `seconds`: the most the database allows, with no HTTP server in the way.
 * @param {() => Promise<unknown>} work
 * @param {{ seconds: number, connections: number, dbPid: number | null }} options
 * @returns {Promise<DatabaseWindow>}
 */
async function databaseWindow(work, { seconds, connections, dbPid }) {
  /** @type {number[]} */
  const latencies = [];
  const dbBefore = dbPid ? cpuSeconds(dbPid) : null;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const began = performance.now();
        await work();
        latencies.push(performance.now() - began);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    dbCpuSeconds: dbPid && dbBefore !== null ? cpuSeconds(dbPid) - dbBefore : null,
  };
}

module.exports = { loadWindow, databaseWindow };
