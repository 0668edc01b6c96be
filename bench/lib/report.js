// @ts-check
'use strict';

/** Turns measured windows into the summary, the Markdown tables and the SVG chart. */

/** The issue's targets for the initiate scenarios, as ours/baseline ratios and an absolute RSS. */
const TARGETS = { throughput: 0.85, cpu: 1.3, p99: 1.25, peakRssMb: 200 };
const TARGET_SCENARIOS = new Set(['initiate-phone', 'initiate-contact']);
const MB = 1024 * 1024;

/**
 * @typedef {{ median: number, min: number, max: number }} Spread
 * @typedef {import('./load').Window} Window
 * @typedef {{ round: number, first: 'ours' | 'baseline', ours: Window, baseline: Window }} Round
 * @typedef {{ id: string, title: string, status: 'measured' | 'skipped', reason?: string, rounds: Round[], database?: import('./load').DatabaseWindow }} ScenarioRun
 */

/** @param {number[]} values @returns {Spread} */
function spread(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** @param {Window[]} windows */
function side(windows) {
  return {
    rps: spread(windows.map((w) => w.rps)),
    p50Ms: spread(windows.map((w) => w.p50Ms)),
    p99Ms: spread(windows.map((w) => w.p99Ms)),
    cpuSecondsPer1000: spread(windows.map((w) => w.cpuSecondsPer1000)),
    dbCpuSecondsPer1000: spread(windows.map((w) => (w.dbCpuSeconds === null ? NaN : (w.dbCpuSeconds * 1000) / w.requests))),
    peakRssMb: Math.max(...windows.map((w) => w.peakRssBytes)) / MB,
    unexpected: windows.reduce((sum, w) => sum + w.unexpected, 0),
  };
}

/**
 * Ratios are taken per round, between the two windows run back to back, and then summarised: a
 * slow moment of the machine then weighs on both sides of one ratio instead of on one side only.
 * @param {ScenarioRun} run
 */
function summariseScenario(run) {
  if (run.status !== 'measured') return { id: run.id, title: run.title, status: run.status, reason: run.reason };
  const ours = side(run.rounds.map((r) => r.ours));
  const baseline = side(run.rounds.map((r) => r.baseline));
  const ratio = (/** @type {(w: Window) => number} */ pick) => spread(run.rounds.map((r) => pick(r.ours) / pick(r.baseline)));
  const ratios = {
    throughput: ratio((w) => w.rps),
    p50: ratio((w) => w.p50Ms),
    p99: ratio((w) => w.p99Ms),
    cpu: ratio((w) => w.cpuSecondsPer1000),
    peakRss: ours.peakRssMb / baseline.peakRssMb,
  };
  /** @type {Record<string, boolean> | undefined} */
  let targets;
  if (TARGET_SCENARIOS.has(run.id)) {
    targets = {
      throughput: ratios.throughput.median >= TARGETS.throughput,
      cpu: ratios.cpu.median <= TARGETS.cpu,
      p99: ratios.p99.median <= TARGETS.p99,
      peakRss: ours.peakRssMb < TARGETS.peakRssMb,
    };
  }
  return { id: run.id, title: run.title, status: run.status, rounds: run.rounds.length, ours, baseline, ratios, targets, database: run.database };
}

/** @typedef {ReturnType<typeof summariseScenario>} ScenarioSummary */

const fixed = (/** @type {number} */ value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const range = (/** @type {Spread} */ s, digits = 2) =>
  Number.isFinite(s.median) ? `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})` : '–';
const pair = (/** @type {number} */ a, /** @type {number} */ b, digits = 0) => `${fixed(a, digits)} / ${fixed(b, digits)}`;

/**
 * @param {ScenarioSummary[]} summaries
 * @param {Record<string, any>} meta
 */
function markdown(summaries, meta) {
  const measured = summaries.filter((s) => s.status === 'measured');
  const lines = [];
  lines.push(`Ours / baseline, median of ${meta.config.rounds} rounds (min–max across rounds); below 1 is better except for throughput.`);
  lines.push('');
  lines.push('| Scenario | Throughput | p50 latency | p99 latency | CPU per request | Peak RSS |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const s of summaries) {
    if (!s.ratios) {
      lines.push(`| ${s.title} | ${s.reason ?? s.status} | | | | |`);
      continue;
    }
    const r = s.ratios;
    lines.push(`| ${s.title} | ${range(r.throughput)} | ${range(r.p50)} | ${range(r.p99)} | ${range(r.cpu)} | ${fixed(r.peakRss)} |`);
  }
  lines.push('');
  lines.push('Absolute figures, median of the rounds (ours / baseline):');
  lines.push('');
  lines.push('| Scenario | Requests/s | p50 ms | p99 ms | Server CPU s per 1,000 req | Database CPU s per 1,000 req | Peak RSS MB | Database alone: req/s, p50 ms |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of measured) {
    if (!s.ours || !s.baseline) continue;
    const { ours: o, baseline: b } = s;
    lines.push(
      `| ${s.title} | ${pair(o.rps.median, b.rps.median)} | ${pair(o.p50Ms.median, b.p50Ms.median, 1)} | ${pair(o.p99Ms.median, b.p99Ms.median, 1)} | ` +
        `${pair(o.cpuSecondsPer1000.median, b.cpuSecondsPer1000.median, 3)} | ${pair(o.dbCpuSecondsPer1000.median, b.dbCpuSecondsPer1000.median, 3)} | ` +
        `${pair(o.peakRssMb, b.peakRssMb)} | ${s.database ? `${fixed(s.database.rps, 0)}, ${fixed(s.database.p50Ms, 1)}` : '–'} |`,
    );
  }
  const targeted = measured.filter((s) => s.targets);
  if (targeted.length > 0) {
    lines.push('');
    lines.push(
      `Targets for initiate: throughput ≥ ${TARGETS.throughput} of the baseline, CPU per request ≤ ${TARGETS.cpu}×, ` +
        `p99 ≤ ${TARGETS.p99}×, peak RSS < ${TARGETS.peakRssMb} MB.`,
    );
    lines.push('');
    lines.push('| Scenario | Throughput | CPU per request | p99 | Peak RSS |');
    lines.push('| --- | --- | --- | --- | --- |');
    const mark = (/** @type {boolean} */ ok) => (ok ? 'met' : '**missed**');
    for (const s of targeted) {
      const t = /** @type {Record<string, boolean>} */ (s.targets);
      const r = /** @type {NonNullable<typeof s.ratios>} */ (s.ratios);
      lines.push(
        `| ${s.title} | ${mark(t.throughput)} (${fixed(r.throughput.median)}) | ${mark(t.cpu)} (${fixed(r.cpu.median)}) | ` +
          `${mark(t.p99)} (${fixed(r.p99.median)}) | ${mark(t.peakRss)} (${fixed(s.ours?.peakRssMb ?? NaN, 0)} MB) |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `${meta.config.rounds} rounds of ${meta.config.durationSeconds} s per server and scenario, ${meta.config.connections} connections, ` +
      `after ${meta.config.warmupSeconds} s of warm-up each; which server goes first alternates by round. ` +
      `"Database alone" runs the same queries straight from the driver with as many in flight. ` +
      `RSS after start-up, before any load: ${fixed(meta.machine.idleRssMb.ours, 0)} / ${fixed(meta.machine.idleRssMb.baseline, 0)} MB. ` +
      `${meta.machine.cpus} × ${meta.machine.cpuModel}, ${meta.machine.memoryGb} GB, Node ${meta.node}, ${meta.database.kind} database, ` +
      `${meta.startedAt.slice(0, 10)}.`,
  );
  const mismatches = meta.conformance.filter((/** @type {{ same: boolean }} */ c) => !c.same);
  if (mismatches.length > 0) {
    lines.push('');
    lines.push(`**The servers answered ${mismatches.length} request(s) differently**; see results.json (conformance).`);
  }
  return `${lines.join('\n')}\n`;
}

const escape = (/** @type {string} */ text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar per ratio, with the spread across rounds as a whisker, 1.0 (parity) as a line and
 * each target as a tick.
 * @param {ScenarioSummary[]} summaries
 */
function svg(summaries) {
  const metrics = /** @type {const} */ ([
    { key: 'throughput', label: 'throughput', color: '#2b6cb0', target: TARGETS.throughput },
    { key: 'cpu', label: 'CPU / request', color: '#c05621', target: TARGETS.cpu },
    { key: 'p99', label: 'p99 latency', color: '#6b46c1', target: TARGETS.p99 },
  ]);
  const measured = summaries.filter((s) => s.ratios);
  const labelWidth = 380;
  const plotWidth = 420;
  const barHeight = 14;
  const groupGap = 16;
  const top = 44;
  const groupHeight = metrics.length * (barHeight + 4) + groupGap;
  const height = top + measured.length * groupHeight + 36;
  const width = labelWidth + plotWidth + 90;
  let maxValue = 2;
  for (const s of measured) for (const m of metrics) maxValue = Math.max(maxValue, s.ratios?.[m.key].max ?? 0);
  maxValue = Math.ceil(maxValue * 2) / 2;
  const x = (/** @type {number} */ value) => labelWidth + (Math.min(value, maxValue) / maxValue) * plotWidth;

  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">Calls service / bare Fastify baseline (median, whisker = min–max across rounds)</text>`);
  metrics.forEach((m, i) => {
    const lx = labelWidth + i * 140;
    parts.push(`<rect x="${lx}" y="28" width="10" height="10" fill="${m.color}"/><text x="${lx + 14}" y="37">${m.label}</text>`);
  });
  for (let tick = 0; tick <= maxValue + 1e-9; tick += 0.5) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="${tick === 1 ? '#333' : '#ddd'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${tx}" y="${height - 16}" text-anchor="middle" fill="#555">${tick.toFixed(1)}</text>`);
  }
  measured.forEach((s, g) => {
    const gy = top + g * groupHeight;
    parts.push(`<text x="10" y="${gy + (metrics.length * (barHeight + 4)) / 2 + 4}">${escape(s.title)}</text>`);
    metrics.forEach((m, i) => {
      const r = /** @type {Spread} */ (s.ratios?.[m.key]);
      const y = gy + i * (barHeight + 4);
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(0, x(r.median) - labelWidth)}" height="${barHeight}" fill="${m.color}" opacity="0.85"/>`);
      parts.push(`<line x1="${x(r.min)}" y1="${y + barHeight / 2}" x2="${x(r.max)}" y2="${y + barHeight / 2}" stroke="#000" stroke-width="1"/>`);
      parts.push(`<line x1="${x(r.min)}" y1="${y + 3}" x2="${x(r.min)}" y2="${y + barHeight - 3}" stroke="#000"/>`);
      parts.push(`<line x1="${x(r.max)}" y1="${y + 3}" x2="${x(r.max)}" y2="${y + barHeight - 3}" stroke="#000"/>`);
      if (TARGET_SCENARIOS.has(s.id)) {
        parts.push(`<line x1="${x(m.target)}" y1="${y - 1}" x2="${x(m.target)}" y2="${y + barHeight + 1}" stroke="#e53e3e" stroke-width="2" stroke-dasharray="3,2"/>`);
      }
      parts.push(`<text x="${Math.max(x(r.max), x(r.median)) + 6}" y="${y + barHeight - 3}" fill="#333">${r.median.toFixed(2)}</text>`);
    });
  });
  parts.push(`<text x="${labelWidth}" y="${height - 2}" fill="#555" font-size="11">ratio ours / baseline; dashed red = the issue's target (initiate only)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

module.exports = { TARGETS, summariseScenario, markdown, svg };
