/** Types for embedded-limits.js, which the TypeScript tests import. */

export declare const EMBEDDED_DATABASE_LIMIT: number;

export declare function warnWhenCollectionsOutgrow(options: {
  uri: string;
  log: (line: string) => void;
  limit?: number;
  everyMs?: number;
}): { stop(): Promise<void>; checked: Promise<void> };
