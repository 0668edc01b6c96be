// @ts-check
'use strict';

/**
 * What the kernel says a process costs: CPU time and resident memory from /proc, so each figure is
 * that process's own, not the machine's (the database and the load generator are counted apart).
 */

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and brackets.
 * Index 0 is field 3 (state) of proc(5).
 * @param {number} pid
 */
function statFields(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * User plus system CPU seconds the process (all its threads) has used so far.
 * @param {number} pid
 */
function cpuSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * @param {number} pid
 * @returns {{ rssBytes: number, peakRssBytes: number }} VmRSS and VmHWM (the peak since start or since the last resetPeakRss)
 */
function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (/** @type {string} */ name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/**
 * Resets the process's VmHWM to its current RSS (proc(5), clear_refs "5"), so a peak can be read per
 * load window. Needs to own the process; returns false where the kernel refuses.
 * @param {number} pid
 */
function resetPeakRss(pid) {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {number} parentPid
 * @returns {{ pid: number, command: string }[]} the parent's direct children
 */
function childrenOf(parentPid) {
  /** @type {{ pid: number, command: string }[]} */
  const children = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parentPid) {
        children.push({ pid: Number(entry), command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
      }
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/**
 * Samples VmRSS every intervalMs until stopped, as a check on VmHWM (and the only peak where
 * clear_refs is refused).
 * @param {number} pid
 * @param {number} [intervalMs]
 */
function sampleRss(pid, intervalMs = 100) {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, memory(pid).rssBytes);
    } catch {
      // the process ended; the caller finds out elsewhere
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

module.exports = { TICKS_PER_SECOND, cpuSeconds, memory, resetPeakRss, childrenOf, sampleRss };
