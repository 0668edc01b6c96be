import { registerDecorator, ValidationOptions } from 'class-validator';

/** RFC 3339 date-time (the `date-time` format of OpenAPI): a date, a time and an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number): number => (month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]);

/**
 * The instant an RFC 3339 date-time names, or null when it is not one (including dates such as 31
 * February). Read field by field rather than by `new Date()`, which maps years 0 to 99 to the 1900s in
 * Date.UTC and refuses leap seconds and long fractions: all valid RFC 3339, as openapi.yaml promises.
 * A leap second (23:59:60 UTC) is read as the second after 23:59:59; fractions beyond milliseconds are
 * dropped.
 */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = DATE_TIME.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [fraction = '', sign, offsetHour = '0', offsetMinute = '0'] = match.slice(7);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60 || Number(offsetHour) > 23 || Number(offsetMinute) > 59) return null;
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, Math.min(second, 59), Number(fraction.slice(0, 3).padEnd(3, '0')));
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(offsetHour) * 60 + Number(offsetMinute)) * 60_000;
  const instant = new Date(local.getTime() - offsetMs);
  if (second === 60) {
    if (instant.getUTCHours() !== 23 || instant.getUTCMinutes() !== 59) return null;
    return new Date(instant.getTime() + 1000);
  }
  return instant;
}

export function IsDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDateTime',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property }) => `${property} must be an ISO-8601 date-time with an offset, such as 2026-11-27T10:00:00Z`,
        ...options,
      },
      validator: { validate: (value: unknown) => parseDateTime(value) !== null },
    });
}

/** For a time range: this date-time may not be earlier than the one in `property`, when both are valid. */
export function IsNotBefore(property: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isNotBefore',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [property],
      options: { message: ({ property: own }) => `${own} must not be before ${property}`, ...options },
      validator: {
        validate: (value: unknown, args) => {
          const start = parseDateTime((args?.object as Record<string, unknown>)[property]);
          const end = parseDateTime(value);
          return !start || !end || end >= start;
        },
      },
    });
}
