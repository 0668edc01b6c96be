#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run check:links`: every relative link and image in the project's Markdown (README.md, docs/,
 * bench/README.md and any other tracked .md outside node_modules) must name a file that exists, and
 * a `#fragment` must name a heading of that file, spelled as GitHub spells heading anchors. Links to
 * other sites are not followed: the machines that run this have no internet.
 */

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.venv-fuzz', '.data', '.test-results', 'coverage']);

/** @param {string} dir @returns {string[]} */
function markdownFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) return [];
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

/** Markdown outside fenced code blocks, where links are links. */
const prose = (/** @type {string} */ text) => text.replace(/^(```|~~~)[\s\S]*?^\1/gm, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(/** @type {string} */ text) {
  const seen = new Map();
  const result = new Set();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading
      .toLowerCase()
      .replace(/[`*_~]|<[^>]*>/g, '')
      .replace(/[^\p{L}\p{N}\s-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/**
 * @param {string} root
 * @returns {{ file: string, link: string, problem: string }[]}
 */
function brokenLinks(root = ROOT) {
  const problems = [];
  for (const file of markdownFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const [, target] of prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const [linkPath, fragment] = target.split('#', 2);
      const resolved = linkPath ? path.resolve(path.dirname(file), decodeURIComponent(linkPath)) : file;
      const where = { file: path.relative(root, file), link: target };
      if (!resolved.startsWith(root + path.sep) && resolved !== root) {
        problems.push({ ...where, problem: 'points outside the repository' });
      } else if (!fs.existsSync(resolved)) {
        problems.push({ ...where, problem: 'no such file' });
      } else if (fragment && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(fragment)) {
        problems.push({ ...where, problem: `no heading #${fragment} in ${path.relative(root, resolved)}` });
      }
    }
  }
  return problems;
}

module.exports = { brokenLinks, anchors };

if (require.main === module) {
  const problems = brokenLinks();
  for (const { file, link, problem } of problems) console.error(`${file}: ${link}: ${problem}`);
  console.log(problems.length === 0 ? 'Every relative link resolves.' : `${problems.length} broken link(s).`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
