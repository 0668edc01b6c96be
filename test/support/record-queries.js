// @ts-check
'use strict';

/**
 * Loaded with `--require` into the service under test (see query-shapes.e2e-spec.ts): appends the shape
 * of every operation mongoose sends (collection, method, the filter's keys and operators, the sort, no
 * values) to the file QUERY_LOG names, one JSON line each, and whether it was sent while answering
 * a request (the built service's request context holds its id) or by background work such as the
 * event relay.
 */

const fs = require('node:fs');
const path = require('node:path');
const mongoose = require('mongoose');

const file = process.env.QUERY_LOG;
const REQUEST_CONTEXT = path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src', 'common', 'logging', 'request-context.js');

/** @param {unknown} value @returns {unknown} */
function shape(value) {
  if (value instanceof mongoose.Types.ObjectId) return 'ObjectId';
  if (value instanceof Date) return 'Date';
  if (value instanceof RegExp) return 'RegExp';
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner)]));
  return typeof value;
}

if (file) {
  mongoose.set('debug', (/** @type {string} */ collection, /** @type {string} */ method, /** @type {unknown[]} */ ...args) => {
    const [first, second] = args;
    const options = /** @type {{ sort?: Record<string, number> } | undefined} */ (method === 'find' || method === 'findOne' ? second : undefined);
    const inRequest = require(REQUEST_CONTEXT).requestContext.getStore() !== undefined;
    fs.appendFileSync(file, `${JSON.stringify({ collection, method, filter: shape(first), sort: options?.sort ?? null, inRequest })}\n`);
  });
}
