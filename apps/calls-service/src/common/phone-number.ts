import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A number as a person types it: `+`, then 2 to 15 digits, the first not 0 (E.164), with spaces,
 * dashes and parentheses anywhere after the `+`. openapi.yaml publishes this very pattern, so the
 * contract and the service agree on every string; only numbering-plan validity is left to
 * libphonenumber. Written with [0-9] and literal separators so that it means the same in every
 * regex dialect (a fuzzer's Python included), unlike \d and \s.
 */
export const TYPED_PHONE_NUMBER = /^\+[ ()-]*[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$/;
/** What the service stores and answers. */
export const E164_PHONE_NUMBER = /^\+[1-9][0-9]{1,14}$/;
export const MAX_TYPED_PHONE_NUMBER_LENGTH = 32;
/** How openapi.yaml describes a number the service accepts. */
export const PHONE_NUMBER_RULES =
  'Spaces, dashes and parentheses after the `+` are removed. The number must also be valid by ' +
  'libphonenumber\'s numbering plans, which no pattern can express; another is refused with 400.';
const SEPARATORS = /[ ()-]/g;

/**
 * Returns the E.164 form of an international number, or null when it is not one that
 * libphonenumber (full metadata) calls valid. A number must carry its `+` and country code:
 * the service never guesses a region.
 */
export function normalizePhoneNumber(input: string): string | null {
  if (input.length > MAX_TYPED_PHONE_NUMBER_LENGTH || !TYPED_PHONE_NUMBER.test(input)) return null;
  const parsed = parsePhoneNumberFromString(input.replace(SEPARATORS, ''));
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
