#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run bench`: how much the calls service costs over a bare Fastify server doing the same work.
 *
 * Builds the production app, starts a database the way the tests do, seeds it, starts the service
 * and the baseline (bench/baseline/server.js) against the same database, checks that both answer
 * the same requests the same way, then loads each scenario on each server in turn with autocannon,
 * round after round, alternating which server goes first. Writes bench/results.json,
 * bench/results.md and bench/ratios.svg, and prints the table.
 *
 * Settings (environment):
 *   BENCH_ROUNDS        rounds per scenario and server (default 5)
 *   BENCH_DURATION_S    seconds of load per measured window (default 6)
 *   BENCH_WARMUP_S      seconds of warm-up per scenario and server, before the rounds (default 3)
 *   BENCH_CONNECTIONS   concurrent connections autocannon keeps open (default 10)
 *   BENCH_SCENARIOS     comma-separated scenario ids to run (default all, `scale` and `feed-scale` included)
 *   BENCH_SCALE_REQUESTS requests per route and size in the `scale` scenario (default 5)
 *   BENCH_WEBHOOK_QUEUED pending deliveries seeded per receiver in the `webhooks` scenario (default 1000)
 *   BENCH_STREAMS       streams open at once in the `stream-fanout` scenario (default 1000)
 *   BENCH_SKIP_BUILD=1  use the dist/ already built
 *   BENCH_CHECK_ONLY=1  only check that both servers answer alike, and measure nothing
 *   BENCH_OUT           folder for the results (default bench/)
 *   BENCH_SERVICE_MAIN  the service's main.js to run instead of this checkout's dist (implies no build)
 *   BENCH_SERVICE_NODE_ARGS  node flags for our service only, instead of start:prod's (empty: none)
 *   BENCH_BASELINE_SERVICE_MAIN  another build's main.js in the baseline's place: before/after of the service
 *   BENCH_BASELINE_NODE_ARGS  node flags for the baseline's server (for the service in its place)
 *   MONGODB_URI         a database server to use instead of starting one (base URI, no database name)
 */

const { execFileSync } = require('node:child_process');
const fsp = require('node:fs/promises');
const os = require('node:os');
const path = require('node:path');
const { compare } = require('./lib/conformance');
const { databaseWindow, loadWindow } = require('./lib/load');
const { childrenOf, memory } = require('./lib/proc');
const { markdown, summariseScenario, svg } = require('./lib/report');
const { feedScaleMarkdown, measureFeedScale } = require('./lib/feed-scale');
const { measureScale, scaleMarkdown } = require('./lib/scale');
const { measureWebhooks, webhooksMarkdown } = require('./lib/webhooks');
const { measureStreamFanout, streamFanoutMarkdown } = require('./lib/stream-fanout');
const { probes, scenarios } = require('./lib/scenarios');
const { ROOT, cleanUp } = require('./lib/servers');
const { prepare, productionNodeArgs, startNamedServer, workDirectory } = require('./lib/setup');

/** @param {string} name @param {number} fallback */
function positiveNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

const config = {
  rounds: Math.round(positiveNumber('BENCH_ROUNDS', 5)),
  durationSeconds: positiveNumber('BENCH_DURATION_S', 6),
  warmupSeconds: positiveNumber('BENCH_WARMUP_S', 3),
  connections: Math.round(positiveNumber('BENCH_CONNECTIONS', 10)),
  scenarios: process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',').map((s) => s.trim()) : null,
  scaleRequests: Math.round(positiveNumber('BENCH_SCALE_REQUESTS', 5)),
  webhookQueued: Math.round(positiveNumber('BENCH_WEBHOOK_QUEUED', 1_000)),
  streams: Math.round(positiveNumber('BENCH_STREAMS', 1_000)),
  build: process.env.BENCH_SKIP_BUILD !== '1' && !process.env.BENCH_SERVICE_MAIN,
  outDir: path.resolve(process.env.BENCH_OUT || __dirname),
};

const log = (/** @type {string} */ message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const startedAt = new Date();
  const workDir = await workDirectory('run');
  const { uri, databaseKind, fixtures } = await prepare({ build: config.build, log });
  const nodeArgs = process.env.BENCH_SERVICE_NODE_ARGS !== undefined ? process.env.BENCH_SERVICE_NODE_ARGS.split(/\s+/).filter(Boolean) : productionNodeArgs();
  const ours = await startNamedServer('ours', { uri, logDir: workDir, nodeArgs });
  const baseline = await startNamedServer('baseline', { uri, logDir: workDir });
  const dbPid = childrenOf(process.pid).find((child) => child.pid !== ours.pid && child.pid !== baseline.pid && child.command !== 'node')?.pid ?? null;
  log(`ours: pid ${ours.pid} at ${ours.url}; baseline: pid ${baseline.pid} at ${baseline.url}; database pid ${dbPid ?? 'unknown'}`);
  const idleRssMb = { ours: memory(ours.pid).rssBytes / 2 ** 20, baseline: memory(baseline.pid).rssBytes / 2 ** 20 };

  const all = scenarios(fixtures).filter((s) => !config.scenarios || config.scenarios.includes(s.id));
  /** @type {import('./lib/report').ScenarioRun[]} */
  const runs = all.map((s) => ({ id: s.id, title: s.title, status: 'measured', rounds: [] }));

  // Another build in the baseline's place may predate the events: its calls are compared without them.
  const compareOptions = { eventsOptional: Boolean(process.env.BENCH_BASELINE_SERVICE_MAIN) };
  // Same answers first: a scenario whose route is not there yet is skipped, and any difference is reported.
  /** @type {{ scenario: string, name: string, request: string, same: boolean, status?: number, difference?: string, note?: string }[]} */
  const conformance = [];
  const record = (/** @type {string} */ scenario, /** @type {string} */ name, /** @type {import('./lib/scenarios').Request} */ request, /** @type {Awaited<ReturnType<typeof compare>>} */ result) => {
    conformance.push({ scenario, name, request: `${request.method} ${request.path}`, same: result.same, status: result.ours.status, difference: result.difference, note: result.note });
    if (!result.same) log(`DIFFERENT ANSWERS to ${request.method} ${request.path} (${name}):\n${result.difference}`);
  };
  for (const [i, scenario] of all.entries()) {
    const result = await compare(ours, baseline, scenario.request, fixtures.db, compareOptions);
    const missing = routeMissing(result.ours) ? 'our service' : routeMissing(result.baseline) ? 'the baseline' : null;
    if (missing) {
      Object.assign(runs[i], { status: 'skipped', reason: `skipped (route missing${missing === 'the baseline' ? ' in the baseline' : ''})` });
      log(`${scenario.id}: skipped, ${missing} has no such route yet`);
      continue;
    }
    record(scenario.id, 'the scenario itself', scenario.request, result);
    if (!result.same || result.ours.status !== scenario.status) {
      Object.assign(runs[i], { status: 'skipped', reason: `skipped (answers differ or are not ${scenario.status})` });
      continue;
    }
    if (scenario.id === 'list') {
      const cursor = /** @type {{ nextCursor?: string }} */ (result.ours.body).nextCursor;
      if (cursor) {
        const next = { ...scenario.request, path: `${scenario.request.path}&cursor=${encodeURIComponent(cursor)}` };
        record('list', 'the next page', next, await compare(ours, baseline, next, fixtures.db, compareOptions));
      }
    }
  }
  const measured = new Set(runs.filter((r) => r.status === 'measured').map((r) => r.id));
  for (const probe of probes(fixtures)) {
    if (!measured.has(probe.scenario)) continue;
    record(probe.scenario, probe.name, probe.request, await compare(ours, baseline, probe.request, fixtures.db, compareOptions));
  }
  const differing = conformance.filter((c) => !c.same).length;
  log(`conformance: ${conformance.length - differing} of ${conformance.length} requests answered the same by both servers`);

  if (process.env.BENCH_CHECK_ONLY === '1') return differing === 0 ? 0 : 1;

  const active = all.filter((s) => measured.has(s.id));
  const servers = { ours, baseline };
  const windowCount = active.length * 2 * (config.rounds * config.durationSeconds + config.warmupSeconds);
  log(`measuring ${active.map((s) => s.id).join(', ') || 'nothing'}: about ${Math.ceil((windowCount + active.length * 2 * config.rounds) / 60)} min`);

  const loadAvgBefore = os.loadavg();
  for (const scenario of active) {
    for (const server of [ours, baseline]) {
      await scenario.reset();
      await loadWindow(server, scenario, { seconds: config.warmupSeconds, connections: config.connections, dbPid });
    }
  }
  for (let round = 0; round < config.rounds; round++) {
    /** @type {('ours' | 'baseline')[]} */
    const order = round % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
    for (const scenario of active) {
      /** @type {Partial<Record<'ours' | 'baseline', import('./lib/load').Window>>} */
      const windows = {};
      for (const name of order) {
        await scenario.reset();
        await sleep(500);
        const window = await loadWindow(servers[name], scenario, { seconds: config.durationSeconds, connections: config.connections, dbPid });
        windows[name] = window;
        log(
          `round ${round + 1}/${config.rounds} ${scenario.id.padEnd(16)} ${name.padEnd(8)} ${window.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${window.p50Ms.toFixed(1)} ms  p99 ${window.p99Ms.toFixed(1)} ms  CPU ${window.cpuSecondsPer1000.toFixed(3)} s/1k  ` +
            `RSS ${(window.peakRssBytes / 2 ** 20).toFixed(0)} MB${window.unexpected ? `  UNEXPECTED ${window.unexpected}` : ''}`,
        );
      }
      const run = /** @type {import('./lib/report').ScenarioRun} */ (runs.find((r) => r.id === scenario.id));
      run.rounds.push({ round: round + 1, first: order[0], ours: /** @type {any} */ (windows.ours), baseline: /** @type {any} */ (windows.baseline) });
    }
  }
  // The database on its own, driven straight from the driver: how much of the figures above is it.
  for (const scenario of active) {
    if (!scenario.databaseWork) continue;
    await scenario.reset();
    const window = await databaseWindow(scenario.databaseWork, { seconds: config.durationSeconds, connections: config.connections, dbPid });
    /** @type {import('./lib/report').ScenarioRun} */ (runs.find((r) => r.id === scenario.id)).database = window;
    log(`database alone   ${scenario.id.padEnd(16)} ${window.rps.toFixed(0).padStart(6)} op/s   p50 ${window.p50Ms.toFixed(1)} ms  p99 ${window.p99Ms.toFixed(1)} ms`);
  }
  await Promise.all(active.map((s) => s.reset()));
  // Last, since it fills the collection the other scenarios read (and empties it again afterwards).
  const scale = !config.scenarios || config.scenarios.includes('scale') ? await measureScale({ uri, logDir: workDir, nodeArgs, requests: config.scaleRequests, log }) : [];
  // The feed with 1,000 to 100,000 events kept, in a database of its own too.
  const feedScale =
    !config.scenarios || config.scenarios.includes('feed-scale') ? await measureFeedScale({ uri, logDir: workDir, nodeArgs, requests: config.scaleRequests * 2, log }) : [];
  const webhooks =
    !config.scenarios || config.scenarios.includes('webhooks')
      ? await measureWebhooks({ uri, logDir: workDir, nodeArgs, seconds: config.durationSeconds, connections: config.connections, queued: config.webhookQueued, rounds: config.rounds, log })
      : null;
  // N streams open on one process, each reading every event of a call changed one PATCH at a time.
  const streamFanout =
    !config.scenarios || config.scenarios.includes('stream-fanout') ? await measureStreamFanout({ uri, logDir: workDir, nodeArgs, streams: config.streams, log }) : null;

  const summaries = runs.map(summariseScenario);
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain']) !== '',
    node: process.versions.node,
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      loadAverageBefore: loadAvgBefore,
      idleRssMb,
      loadAverageAfter: os.loadavg(),
    },
    database: { kind: databaseKind },
    versions: Object.fromEntries(
      ['@nestjs/core', '@nestjs/platform-fastify', 'fastify', 'mongoose', 'mongodb', 'jsonwebtoken', 'class-validator', 'autocannon'].map((name) => [
        name,
        require(`${name}/package.json`).version,
      ]),
    ),
    config: {
      ...config,
      outDir: undefined,
      serviceNodeArgs: nodeArgs,
      serviceMain: process.env.BENCH_SERVICE_MAIN ?? null,
      baselineServiceMain: process.env.BENCH_BASELINE_SERVICE_MAIN ?? null,
    },
    conformance,
  };
  const scaleTable = scaleMarkdown(scale);
  await fsp.mkdir(config.outDir, { recursive: true });
  const feedScaleTable = feedScaleMarkdown(feedScale);
  await fsp.writeFile(path.join(config.outDir, 'results.json'), `${JSON.stringify({ meta, summaries, runs, scale, feedScale, webhooks, streamFanout }, null, 2)}\n`);
  const table =
    markdown(summaries, meta) +
    (scaleTable ? `\n## Latency as the calls collection grows (our service, ${config.scaleRequests} requests per route and size, one at a time)\n\n${scaleTable}` : '') +
    (feedScaleTable
      ? `\n## The event feed as events are kept (our service, ${config.scaleRequests * 2} requests per kind and size, one at a time)\n\n${feedScaleTable}`
      : '') +
    (webhooks ? `\n## Webhook delivery while the API takes initiates (our service, ${config.connections} connections)\n\n${webhooksMarkdown(webhooks)}` : '') +
    (streamFanout ? `\n## Live stream fan-out (our service, one process)\n\n${streamFanoutMarkdown(streamFanout)}` : '');
  await fsp.writeFile(path.join(config.outDir, 'results.md'), `# Benchmark: calls service vs a bare Fastify baseline\n\n${table}`);
  await fsp.writeFile(path.join(config.outDir, 'ratios.svg'), svg(summaries));
  console.log(`\n${table}`);
  log(`wrote ${path.relative(process.cwd(), path.join(config.outDir, 'results.{json,md}'))} and ratios.svg; server logs in ${path.relative(process.cwd(), workDir)}`);

  const unexpected = summaries.reduce((sum, s) => sum + (s.ours?.unexpected ?? 0) + (s.baseline?.unexpected ?? 0), 0);
  if (unexpected > 0) log(`${unexpected} requests got an unexpected answer, an error or a time-out under load`);
  return differing === 0 && unexpected === 0 ? 0 : 1;
}

/**
 * Nest and the baseline both answer an unknown route with 404 "Cannot GET /path".
 * @param {import('./lib/conformance').Answer} answer
 */
function routeMissing(answer) {
  const message = /** @type {{ message?: unknown }} */ (answer.body)?.message;
  return answer.status === 404 && typeof message === 'string' && message.startsWith('Cannot ');
}

/** @param {string[]} args */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

main()
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  })
  .catch(async (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    await cleanUp();
    process.exit(1);
  });
