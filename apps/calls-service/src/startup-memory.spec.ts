import { endStartUp } from './startup-memory';

// The module stands in for Intl.DateTimeFormat as it loads; the real constructor is still its prototype's.
const RealDateTimeFormat = Intl.DateTimeFormat.prototype.constructor as typeof Intl.DateTimeFormat;

describe('start-up memory: date formats built on first use', () => {
  const options: Intl.DateTimeFormatOptions = { timeZone: 'America/Toronto', dateStyle: 'full', timeStyle: 'long' };
  const moment = new Date(Date.UTC(2026, 11, 1, 12, 30));
  const deferred = new Intl.DateTimeFormat('en-CA', options);

  afterAll(() => {
    Intl.DateTimeFormat = RealDateTimeFormat;
  });

  it('stands in for Intl.DateTimeFormat until the service is up', () => {
    expect(Intl.DateTimeFormat).not.toBe(RealDateTimeFormat);
  });

  it('gives formats that answer as real ones do, and are ones', () => {
    const real = new RealDateTimeFormat('en-CA', options);
    expect(deferred.format(moment)).toBe(real.format(moment));
    expect(deferred.formatToParts(moment)).toEqual(real.formatToParts(moment));
    expect(deferred.resolvedOptions()).toEqual(real.resolvedOptions());
    expect(deferred).toBeInstanceOf(RealDateTimeFormat);
    // Taken off the format, as code that keeps `format` as a function does.
    const { format } = deferred;
    expect(format(moment)).toBe(real.format(moment));
  });

  it('puts the real constructor back once the service is up; formats made before keep working', () => {
    endStartUp();
    expect(Intl.DateTimeFormat).toBe(RealDateTimeFormat);
    expect(deferred.format(moment)).toBe(new Intl.DateTimeFormat('en-CA', options).format(moment));
  });
});
