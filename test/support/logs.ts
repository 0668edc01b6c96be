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
