#!/usr/bin/env node
// @ts-check
'use strict';

/**
 * `npm run token -- --org <id> --user <id> [--role admin] [--expires-in 1h]`: prints a JWT the service
 * accepts, signed with JWT_SECRET (HS256) and carrying JWT_ISSUER / JWT_AUDIENCE when those are set.
 */

const { randomBytes } = require('node:crypto');
const { parseArgs } = require('node:util');
const jwt = require('jsonwebtoken');
const { DEV_DEFAULTS } = require('./dev-defaults');

const OBJECT_ID = /^[0-9a-f]{24}$/i;
const USAGE = `Usage: npm run token -- [--org <24-hex id>] [--user <24-hex id>] [--role <role>] [--expires-in <span>]

  --org          organizationId claim (random when omitted)
  --user         sub claim (random when omitted)
  --role         role claim, e.g. admin (omitted when not given)
  --expires-in   lifetime: 90s, 15m, 1h, 7d, or a number of seconds (default 1h)

Signs with JWT_SECRET (the development default when unset); adds iss/aud from JWT_ISSUER/JWT_AUDIENCE.`;

function main() {
  const { values } = parseArgs({
    options: {
      org: { type: 'string' },
      user: { type: 'string' },
      role: { type: 'string' },
      'expires-in': { type: 'string', default: '1h' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const organizationId = objectId('org', values.org);
  const userId = objectId('user', values.user);
  const secret = process.env.JWT_SECRET || fallbackSecret();
  // jsonwebtoken reads a bare numeric string as milliseconds; people mean seconds.
  const expiresIn = /^\d+$/.test(values['expires-in']) ? Number(values['expires-in']) : values['expires-in'];

  const token = jwt.sign({ organizationId, ...(values.role ? { role: values.role } : {}) }, secret, {
    algorithm: 'HS256',
    subject: userId,
    expiresIn: /** @type {jwt.SignOptions['expiresIn']} */ (expiresIn),
    ...(process.env.JWT_ISSUER ? { issuer: process.env.JWT_ISSUER } : {}),
    ...(process.env.JWT_AUDIENCE ? { audience: process.env.JWT_AUDIENCE } : {}),
  });
  process.stdout.write(`${token}\n`);
}

/**
 * @param {string} option
 * @param {string | undefined} value
 * @returns {string} the id, lower-cased as the service stores it
 */
function objectId(option, value) {
  if (value === undefined) {
    const generated = randomBytes(12).toString('hex');
    console.error(`No --${option} given; using ${generated}`);
    return generated;
  }
  if (!OBJECT_ID.test(value)) throw new UsageError(`--${option} must be 24 hex characters (a MongoDB ObjectId), got "${value}"`);
  return value.toLowerCase();
}

function fallbackSecret() {
  console.error('JWT_SECRET is unset; signing with the development default from scripts/dev-defaults.js');
  return DEV_DEFAULTS.JWT_SECRET;
}

class UsageError extends Error {}

try {
  main();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs rejects unknown or malformed options with a code, not a class.
  const usage = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
  console.error(usage ? `${message}\n\n${USAGE}` : message);
  process.exit(usage ? 2 : 1);
}
