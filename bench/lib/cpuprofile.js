// @ts-check
'use strict';

/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and says where the time went: self time per
 * function, and self and inclusive time per package (node_modules/<name>, node internals, our code).
 */

const path = require('node:path');

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number, columnNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }} Profile
 */

/**
 * Where a function lives: a package name, `node:internal`, `(our code) <file>`, or a V8 pseudo-node.
 * @param {CallFrame} frame
 * @param {string} root the repository root, to tell our files from the rest
 */
function owner(frame, root) {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return `(${frame.functionName || 'native'})`;
  if (url.startsWith('node:')) return 'node (internals)';
  const marker = url.lastIndexOf('node_modules/');
  if (marker >= 0) {
    const parts = url.slice(marker + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return `(ours) ${path.relative(root, url)}`;
}

/**
 * @param {Profile} profile
 * @param {string} root
 * @param {{ from?: number, to?: number }} [window] monotonic microseconds, as V8 stamps samples: only
 *   samples taken in between are counted
 */
function summarise(profile, root, { from = -Infinity, to = Infinity } = {}) {
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  /** @type {Map<number, number>} self microseconds per node */
  const self = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (at < from || at > to) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + delta);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);

  /** @type {Map<string, { name: string, owner: string, self: number }>} */
  const functions = new Map();
  /** @type {Map<string, { self: number, inclusive: number }>} */
  const owners = new Map();
  for (const [id, micros] of self) {
    const node = /** @type {ProfileNode} */ (byId.get(id));
    const where = owner(node.callFrame, root);
    const key = `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`;
    const name = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const entry = functions.get(key) ?? { name, owner: where, self: 0 };
    entry.self += micros;
    functions.set(key, entry);
    const own = owners.get(where) ?? { self: 0, inclusive: 0 };
    own.self += micros;
    owners.set(where, own);
    // Inclusive: count the sample once for every distinct owner on its stack.
    const seen = new Set();
    for (let node = /** @type {number | undefined} */ (id); node !== undefined; node = parent.get(node)) {
      const frameOwner = owner(/** @type {ProfileNode} */ (byId.get(node)).callFrame, root);
      if (seen.has(frameOwner)) continue;
      seen.add(frameOwner);
      const entryOwner = owners.get(frameOwner) ?? { self: 0, inclusive: 0 };
      entryOwner.inclusive += micros;
      owners.set(frameOwner, entryOwner);
    }
  }
  const share = (/** @type {number} */ micros) => (100 * micros) / total;
  return {
    totalMs: total / 1000,
    functions: [...functions.values()].sort((a, b) => b.self - a.self).map((f) => ({ ...f, selfPct: share(f.self) })),
    owners: [...owners.entries()]
      .map(([name, o]) => ({ name, selfPct: share(o.self), inclusivePct: share(o.inclusive) }))
      .sort((a, b) => b.selfPct - a.selfPct),
  };
}

/**
 * @param {ReturnType<typeof summarise>} summary
 * @param {number} [top]
 */
function format(summary, top = 25) {
  const lines = [`Total sampled: ${(summary.totalMs / 1000).toFixed(1)} s`, '', 'Self time by package (self %, inclusive %):'];
  for (const o of summary.owners.slice(0, top)) lines.push(`  ${o.selfPct.toFixed(1).padStart(5)}%  ${o.inclusivePct.toFixed(1).padStart(5)}%  ${o.name}`);
  lines.push('', 'Self time by function:');
  for (const f of summary.functions.slice(0, top)) lines.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}  [${f.owner}]`);
  return lines.join('\n');
}

module.exports = { summarise, format };
