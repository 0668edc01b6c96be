// @ts-check
'use strict';

const { SINCH_EXAMPLE } = require('./lib/service');

/**
 * Settings `npm run dev` fills in when they are unset, so the service starts with no configuration.
 * Development only: the secret is public, so tokens signed with it prove nothing.
 */
const DEV_DEFAULTS = Object.freeze({
  JWT_SECRET: 'calls-service-development-secret',
  DEFAULT_CALLER_ID: '+14165550100',
  // Sinch's published example application: enough to start; real calls need your own from the dashboard.
  SINCH_APPLICATION_KEY: SINCH_EXAMPLE.applicationKey,
  SINCH_APPLICATION_SECRET: SINCH_EXAMPLE.applicationSecret,
  PORT: '3000',
  // A receiver on this machine, over plain HTTP, is how webhooks are tried out in development.
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
});

module.exports = { DEV_DEFAULTS };
