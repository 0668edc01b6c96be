import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { NumberType, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A number as a person types it: `+`, then 2 to 15 digits, the first not 0 (E.164), with spaces,
 * dashes and parentheses anywhere after the `+`. openapi.yaml publishes this very pattern, so the
 * contract and the service agree on every string; only numbering-plan validity is left to
 * libphonenumber. Written with [0-9] and literal separators so that it means the same in every
 * regex dialect (a fuzzer's Python included), unlike \d and \s.
 */
export const TYPED_PHONE_NUMBER = /^\+[ ()-]*[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$/;
/**
 * The same, as a query string may carry it: a `+` that was not written as `%2B` arrives as a space,
 * which the service reads as the `+` the client meant (when a digit follows it).
 */
export const TYPED_PHONE_NUMBER_IN_QUERY = /^(?:\+[ ()-]*| )[1-9](?:[ ()-]*[0-9]){1,14}[ ()-]*$/;
/** What the service stores and answers. */
export const E164_PHONE_NUMBER = /^\+[1-9][0-9]{1,14}$/;
export const MAX_TYPED_PHONE_NUMBER_LENGTH = 32;
/** How openapi.yaml describes a number that must exist, such as a caller ID. */
export const PHONE_NUMBER_RULES =
  'Spaces, dashes and parentheses after the `+` are removed. The number must also be valid by ' +
  'libphonenumber\'s numbering plans, which no pattern can express; another is refused with 400.';
/** How openapi.yaml describes a number that is stored or looked up: any the pattern admits. */
export const STORED_PHONE_NUMBER_RULES =
  'Spaces, dashes and parentheses after the `+` are removed. Any number the pattern admits is taken, ' +
  'including one that no numbering plan knows yet (calling it answers 422).';
/** How openapi.yaml describes a number to dial. */
export const DIALLED_PHONE_NUMBER_RULES =
  'Spaces, dashes and parentheses after the `+` are removed. A number the pattern admits but no ' +
  'country\'s numbering plan uses (libphonenumber decides), or of a type the service does not call ' +
  '(`BLOCKED_NUMBER_TYPES`: premium-rate and shared-cost by default), answers 422.';
const SEPARATORS = /[ ()-]/g;

/**
 * Returns the E.164 form of a number typed as the pattern allows, or null when it does not match. A
 * number must carry its `+` and country code: the service never guesses a region. Where libphonenumber
 * (full metadata) knows the number, its form is taken, which drops a national prefix typed after the
 * country code (`+44 (0)20 ...`); otherwise the digits as typed.
 */
export function normalizePhoneNumber(input: string): string | null {
  if (input.length > MAX_TYPED_PHONE_NUMBER_LENGTH || !TYPED_PHONE_NUMBER.test(input)) return null;
  const digits = input.replace(SEPARATORS, '');
  const parsed = parsePhoneNumberFromString(digits);
  return parsed?.isValid() ? parsed.number : digits;
}

/** An E.164 number that libphonenumber's numbering plans know. */
export function isValidE164(value: unknown): value is string {
  if (typeof value !== 'string' || !E164_PHONE_NUMBER.test(value)) return false;
  const parsed = parsePhoneNumberFromString(value);
  return parsed?.isValid() === true && parsed.number === value;
}

/** The number types libphonenumber tells apart, as BLOCKED_NUMBER_TYPES names them. */
export const NUMBER_TYPES: readonly NumberType[] = [
  'PREMIUM_RATE',
  'SHARED_COST',
  'TOLL_FREE',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
];
export type PhoneNumberType = NonNullable<NumberType>;

/**
 * Why the service will not dial a number, or null when it will. A number no numbering plan knows
 * cannot be connected; premium-rate and other costly types are where toll fraud makes its money (a
 * stolen token calling a number its owner is paid for), so those in `blocked` are refused. Needs
 * libphonenumber's full ('max') metadata, which is the only one that tells number types apart.
 */
export function refusalToDial(number: string, blocked: readonly PhoneNumberType[]): string | null {
  const parsed = parsePhoneNumberFromString(number);
  if (!parsed?.isValid()) return `${number} is not a number in any country's numbering plan`;
  const type = parsed.getType();
  if (type && blocked.includes(type)) {
    return `${number} is a ${type.toLowerCase().replace(/_/g, '-')} number; the service does not call those (BLOCKED_NUMBER_TYPES)`;
  }
  return null;
}

/** Normalises a typed number on the way in; a value that cannot be normalised is left for the validator to reject. */
export const NormalizePhoneNumber = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'string') return normalizePhoneNumber(value) ?? value;
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? (normalizePhoneNumber(item) ?? item) : item));
    return value;
  });

/** A number in E.164 form, known to a numbering plan or not: for numbers that are stored or looked up. */
export function IsWellFormedPhoneNumber(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isWellFormedPhoneNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property }) => `${property} must be a valid phone number in E.164 format, such as +14165550199`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && E164_PHONE_NUMBER.test(value) },
    });
}

/** A number in E.164 form that a numbering plan knows: for numbers that must exist, such as caller IDs. */
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
