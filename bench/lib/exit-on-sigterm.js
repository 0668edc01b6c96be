// @ts-check
'use strict';

// Preloaded (`node -r`) into a profiled server: exit normally on SIGTERM, before the app's own
// shutdown hooks re-raise the signal, so that `--cpu-prof` gets to write its profile.
process.prependOnceListener('SIGTERM', () => process.exit(0));
