// @ts-check
'use strict';

/**
 * Settings `npm run dev` fills in when they are unset, so the service starts with no configuration.
 * Development only: the secret is public, so tokens signed with it prove nothing.
 */
const DEV_DEFAULTS = Object.freeze({
  JWT_SECRET: 'calls-service-development-secret',
  DEFAULT_CALLER_ID: '+14165550100',
  // Sinch's published example application: enough to start; real calls need your own from the dashboard.
  SINCH_APPLICATION_KEY: '669e367e-6bba-48ab-af15-266871c28135',
  SINCH_APPLICATION_SECRET: 'BeIukql3pTKJ8RGL5zo0DA==',
  PORT: '3000',
});

module.exports = { DEV_DEFAULTS };
