const STACK_FRAMES = 8;

/**
 * Personal data an error message can carry: MongoDB's duplicate-key message quotes the whole key
 * (`dup key: { number: "+14165550123" }`), a cast error quotes the value, and a driver or library
 * message may quote anything it was given. Quoted text, key literals, phone numbers and e-mail
 * addresses are replaced; what remains (names, codes, index and field names) says what went wrong.
 */
const PERSONAL = [
  [/dup key: \{.*?\}(?=\s*$|,|;|\))/gs, 'dup key: {…}'],
  [/"(?:[^"\\]|\\.)*"/g, '"…"'],
  [/[\w.+-]+@[\w-]+\.[\w.-]+/g, '[e-mail]'],
  [/\+?\d[\d ()-]{5,}\d/g, '[number]'],
] as const;

export function withoutPersonalData(message: string): string {
  return PERSONAL.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
}

/**
 * One line saying what failed and where, for the log, without the error object itself: logged whole,
 * an error carries everything attached to it (a duplicate-key error's `keyValue`, a driver error's
 * command and reply), and its message whatever values it quotes. Kept: the class, the code, the
 * message without personal data, and the first stack frames.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `A non-Error was thrown (${typeof error})`;
  const { code, codeName } = error as Error & { code?: unknown; codeName?: unknown };
  const label = [error.name, typeof code === 'number' || typeof code === 'string' ? `code ${code}` : '', typeof codeName === 'string' ? codeName : '']
    .filter(Boolean)
    .join(' ');
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, STACK_FRAMES)
    .map((line) => line.trim());
  return [`${label}: ${withoutPersonalData(error.message)}`, ...frames].join('\n    ');
}
