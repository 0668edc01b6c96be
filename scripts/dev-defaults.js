// @ts-check
'use strict';

/**
 * Settings `npm run dev` fills in when they are unset, so the service starts with no configuration.
 * Development only: the secret is public, so tokens signed with it prove nothing.
 */
const DEV_DEFAULTS = Object.freeze({
  JWT_SECRET: 'calls-service-development-secret',
  DEFAULT_CALLER_ID: '+14165550100',
  PORT: '3000',
});

module.exports = { DEV_DEFAULTS };
