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
 * Date formats. As they load, @nestjs/common's logger modules each build an Intl.DateTimeFormat for the
 * console logger's timestamps, which this service never prints (its logger is JsonLogger). The first
 * DateTimeFormat a process builds maps in about 8 MB of ICU's data (bare Node: 38.5 -> 46.7 MB RSS),
 * and nothing else needs one until a request asks for call statistics. Until the service listens, a
 * DateTimeFormat is therefore built on first use: the object `new Intl.DateTimeFormat(...)` gives then
 * builds the real one, with the same arguments, the first time any of its members is read.
 *
 * This module does both as it is imported, so main.ts imports it before anything else: they must be in
 * place before the framework's modules load. `node --semi-space-growth-factor=N` still wins.
 */

const GROWTH_FLAG = '--semi-space-growth-factor';
/** V8's own default, unless Node was started with the flag. */
const growthFactorAfterStartUp = process.execArgv.find((arg) => arg.startsWith(`${GROWTH_FLAG}=`))?.split('=')[1] ?? '2';
const held = !process.execArgv.some((arg) => arg.startsWith(GROWTH_FLAG));

if (held) setFlagsFromString(`${GROWTH_FLAG}=1`);

const { DateTimeFormat } = Intl;

function builtOnFirstUse(args: ConstructorParameters<typeof DateTimeFormat>): Intl.DateTimeFormat {
  let formatter: Intl.DateTimeFormat | undefined;
  const real = (): Intl.DateTimeFormat => (formatter ??= new DateTimeFormat(...args));
  return new Proxy(Object.create(DateTimeFormat.prototype) as Intl.DateTimeFormat, {
    get: (_target, key) => {
      const value: unknown = Reflect.get(real(), key);
      return typeof value === 'function' ? value.bind(real()) : value;
    },
  });
}

Intl.DateTimeFormat = new Proxy(DateTimeFormat, {
  construct: (_target, args) => builtOnFirstUse(args as ConstructorParameters<typeof DateTimeFormat>),
});

/** From here on the young generation grows as V8 decides, and date formats are built at once: call once the service is up. */
export function endStartUp(): void {
  if (held) setFlagsFromString(`${GROWTH_FLAG}=${growthFactorAfterStartUp}`);
  Intl.DateTimeFormat = DateTimeFormat;
}
