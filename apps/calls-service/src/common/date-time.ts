import { registerDecorator, ValidationOptions } from 'class-validator';

/** RFC 3339 date-time (the `date-time` format of OpenAPI): a date, a time and an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The instant an RFC 3339 date-time names, or null when it is not one (including dates such as 31 February). */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = DATE_TIME.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === month - 1 &&
    calendar.getUTCDate() === day &&
    calendar.getUTCHours() === hour &&
    calendar.getUTCMinutes() === minute &&
    calendar.getUTCSeconds() === second;
  const instant = new Date(value);
  return real && Number.isFinite(instant.getTime()) ? instant : null;
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
