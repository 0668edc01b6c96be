import { setFlagsFromString } from 'node:v8';

/**
 * Start-up memory. While the modules load and Nest builds the app, nearly everything made lives as long
 * as the process (modules, classes, metadata), so nearly every scavenge survives whole, and V8 doubles
 * the young generation after each: it reaches its ceiling of 2 × 16 MB before the service listens, and
 * keeps it until a scavenge finds the process idle, about 30 s later. Holding it at its initial size
 * (1 MB) until the service listens, and letting V8 grow it as it would from then on, takes about 28 MB
 * off the RSS of an idle replica (bench/README.md, "What the profile showed", finding 9). Under load it
 * grows back within the first requests to what they need, as before.
 *
 * This module sets the flag as it is imported, so main.ts imports it before anything else: the flag
 * must be down before the framework's modules load. `node --semi-space-growth-factor=N` still wins.
 */

const GROWTH_FLAG = '--semi-space-growth-factor';
/** V8's own default, unless Node was started with the flag. */
const growthFactorAfterStartUp = process.execArgv.find((arg) => arg.startsWith(`${GROWTH_FLAG}=`))?.split('=')[1] ?? '2';
const held = !process.execArgv.some((arg) => arg.startsWith(GROWTH_FLAG));

if (held) setFlagsFromString(`${GROWTH_FLAG}=1`);

/** From here on the young generation grows as V8 decides: call once the service is up. */
export function releaseYoungGeneration(): void {
  if (held) setFlagsFromString(`${GROWTH_FLAG}=${growthFactorAfterStartUp}`);
}
