// @ts-check
'use strict';

/**
 * Loaded with `--require` into the service under test (see query-shapes.e2e-spec.ts): appends the shape
 * of every operation mongoose sends (collection, method, the filter's keys and operators, the sort, no
 * values) to the file QUERY_LOG names, one JSON line each, and whether it was sent while answering
 * a request or by background work such as the event relay.
 *
 * The service keeps no request context of its own (it passes request ids by hand), so this file keeps one:
 * every HTTP request is handled inside it, and the background work a request only sets off leaves it, as
 * the service's background work did when it kept the context.
 */

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { AsyncLocalStorage } = require('node:async_hooks');
const mongoose = require('mongoose');

const file = process.env.QUERY_LOG;
const BUILT = path.join(__dirname, '..', '..', 'dist', 'apps', 'calls-service', 'src');
/** The background work a request can set off: [built module, class, methods]. */
const BACKGROUND = [
  ['events/event-relay.service.js', 'EventRelay', ['drain']],
  ['events/event-tail.service.js', 'EventTails', ['poll']],
  ['events/stream-tickets.service.js', 'StreamTickets', ['purgeExpiredSometimes']],
  ['webhooks/webhook-dispatcher.service.js', 'WebhookDispatcher', ['drain', 'sweep']],
  ['webhooks/webhook-worker.service.js', 'WebhookWorker', ['poll']],
];

const answering = new AsyncLocalStorage();

function recordRequestContext() {
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (/** @type {string} */ event, /** @type {unknown[]} */ ...args) {
    return event === 'request' ? answering.run(true, () => emit.call(this, event, ...args)) : emit.call(this, event, ...args);
  };
  for (const [module, className, methods] of BACKGROUND) {
    const prototype = require(path.join(BUILT, /** @type {string} */ (module)))[/** @type {string} */ (className)].prototype;
    for (const method of methods) {
      const original = prototype[method];
      if (typeof original !== 'function') throw new Error(`record-queries: ${className}.${method} is gone; update BACKGROUND`);
      prototype[method] = function (/** @type {unknown[]} */ ...args) {
        return answering.exit(() => original.apply(this, args));
      };
    }
  }
}

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
  recordRequestContext();
  mongoose.set('debug', (/** @type {string} */ collection, /** @type {string} */ method, /** @type {unknown[]} */ ...args) => {
    const [first, second] = args;
    const options = /** @type {{ sort?: Record<string, number> } | undefined} */ (method === 'find' || method === 'findOne' ? second : undefined);
    const inRequest = answering.getStore() === true;
    fs.appendFileSync(file, `${JSON.stringify({ collection, method, filter: shape(first), sort: options?.sort ?? null, inRequest })}\n`);
  });
}
