import { CallDto } from './dto/call.dto';

/** The CSV's columns, in order, with how each is read from the call (and the name of its outcome). */
const COLUMNS: [string, (call: CallDto, outcome: string | null) => string | number | null][] = [
  ['id', (call) => call._id],
  ['startTime', (call) => call.startTime],
  ['answerTime', (call) => call.answerTime],
  ['endTime', (call) => call.endTime],
  ['durationSeconds', (call) => call.duration],
  ['status', (call) => call.status],
  ['direction', (call) => call.direction],
  ['from', (call) => call.from],
  ['to', (call) => call.to],
  ['userId', (call) => call.userId],
  ['contactId', (call) => call.contactId],
  ['outcomeId', (call) => call.outcomeId],
  ['outcome', (_call, outcome) => outcome],
  ['tags', (call) => call.tags.join(', ')],
  ['notes', (call) => call.notes],
  ['endReason', (call) => call.endReason],
  ['providerCallId', (call) => call.providerCallId],
  ['conversationId', (call) => call.conversationId],
];

/**
 * A spreadsheet runs a cell that starts with one of these as a formula ("formula injection", as OWASP
 * calls it): notes, tags, names and numbers come from users, so such a cell gets a leading apostrophe,
 * which spreadsheets show as text. Tab and carriage return are on OWASP's list too. An E.164 number
 * starts with `+` and is neutralised as well, which also keeps a spreadsheet from reading it as a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Records end with CRLF, as RFC 4180 says. */
export const CSV_HEADER = `${COLUMNS.map(([name]) => name).join(',')}\r\n`;

export function csvRow(call: CallDto, outcomeName: string | null): string {
  return `${COLUMNS.map(([, read]) => csvField(read(call, outcomeName))).join(',')}\r\n`;
}

export function ndjsonRow(call: CallDto): string {
  return `${JSON.stringify(call)}\n`;
}
