import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Separators a person may type after the `+`; anything else makes the number invalid. */
const TYPED_NUMBER = /^\+[\d\s()-]+$/;
const SEPARATORS = /[\s()-]/g;
const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_TYPED_LENGTH = 32;

/**
 * Returns the E.164 form of an international number, or null when it is not one that
 * libphonenumber (full metadata) calls valid. A number must carry its `+` and country code:
 * the service never guesses a region.
 */
export function normalizePhoneNumber(input: string): string | null {
  if (input.length > MAX_TYPED_LENGTH || !TYPED_NUMBER.test(input)) return null;
  const compact = input.replace(SEPARATORS, '');
  if (!E164.test(compact)) return null;
  const parsed = parsePhoneNumberFromString(compact);
  return parsed?.isValid() ? parsed.number : null;
}

export function isValidE164(value: unknown): value is string {
  return typeof value === 'string' && normalizePhoneNumber(value) === value;
}

/** Normalises a typed number on the way in; a value that cannot be normalised is left for the validator to reject. */
export const NormalizePhoneNumber = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'string') return normalizePhoneNumber(value) ?? value;
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? (normalizePhoneNumber(item) ?? item) : item));
    return value;
  });

export function IsE164PhoneNumber(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isE164PhoneNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property }) => `${property} must be a valid phone number in E.164 format, such as +14165550199`,
        ...options,
      },
      validator: { validate: isValidE164 },
    });
}
