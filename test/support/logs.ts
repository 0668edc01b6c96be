import { RunningApp } from './app';

export type LogLine = Record<string, unknown>;

/** Every line the app printed, each of which must be a JSON object. */
export function logLines(app: RunningApp): LogLine[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`Not a JSON log line: ${line}`);
      }
    });
}

/**
 * The lines that `select` picks, once at least one is there (or after `timeoutMs`): the app writes a line to
 * its stdout when it logs, which the test may read after the answer that followed it.
 */
export async function loggedLines(app: RunningApp, select: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = logLines(app).filter(select);
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
